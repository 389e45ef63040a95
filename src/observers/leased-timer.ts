import type {LeaseService} from '../services/coordination/lease.service';

/** Intervals a lease outlives its last renewal: a holder that died is taken over after this many. */
const LEASE_INTERVALS = 3;

/**
 * A periodic task of which, among replicas on one database, the holder of
 * one lease alone does each run: every interval the lease is taken or
 * renewed, and the task runs if it is held here. A run still under way when
 * the next is due is not doubled. The observers that sweep or reconcile use
 * it from their start and stop.
 */
export class LeasedTimer {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly leases: LeaseService,
    private readonly lease: string,
    private readonly intervalMs: number,
    /** One run; `atStart` is true for the run `start` makes at once when asked to. */
    private readonly task: (atStart: boolean) => Promise<void>,
  ) {}

  /** Runs every interval, and at once when `atStart`; a failed run goes to `failed`. */
  start(failed: (err: Error) => void, {atStart = false} = {}): void {
    const tick = (first: boolean) => {
      this.runOnce(first).catch(failed);
    };
    if (atStart) tick(true);
    this.timer = setInterval(() => tick(false), this.intervalMs);
    this.timer.unref();
  }

  /** One run, if this instance holds the lease (taken or renewed here) and no run is under way; answers whether it ran. */
  async runOnce(atStart = false): Promise<boolean> {
    if (this.running) return false;
    const leased = async () => {
      if (!(await this.leases.acquire(this.lease, LEASE_INTERVALS * this.intervalMs))) return false;
      await this.task(atStart);
      return true;
    };
    const run = leased();
    this.running = run.catch(() => undefined);
    try {
      return await run;
    } finally {
      this.running = undefined;
    }
  }

  /** Resolves once no run is under way. */
  async idle(): Promise<void> {
    await this.running;
  }

  /** Stops the runs, waits for one under way and hands the lease over; answers false when it was not started. */
  async stop(): Promise<boolean> {
    if (!this.timer) return false;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.idle();
    await this.leases.release(this.lease).catch(() => undefined);
    return true;
  }
}
