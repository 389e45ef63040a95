import type {ServerResponse} from 'node:http';

/**
 * At most `size` holders at a time, within this process; the others wait
 * their turn in order.
 */
export class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  /** Waits for a slot, and holds it until `response` closes (answered, or its client gone). */
  async holdUntilClosed(response: ServerResponse): Promise<void> {
    await this.take();
    // Closed while it waited: nothing to hold the slot for.
    if (response.closed) this.give();
    else response.once('close', () => this.give());
  }

  private take(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise(resolve => this.waiting.push(resolve));
  }

  private give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}
