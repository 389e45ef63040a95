import {inject, lifeCycleObserver, LifeCycleObserver, service} from '@loopback/core';
import type {AppConfig} from '../config';
import {AppBindings} from '../keys';
import {JupyterHubService} from '../services/hub/jupyterhub.service';
import {LeaseService} from '../services/coordination/lease.service';
import {LoggerService} from '../services/logger.service';
import {MetricsService} from '../services/observability/metrics.service';
import {ServerService} from '../kinds/server/server.service';

/** The lease of the reconciler: of several replicas on one database, its holder alone reconciles. */
export const RECONCILER_LEASE = 'server-reconciler';
/** Intervals the lease outlives its last renewal: a holder that died is taken over after this many. */
const LEASE_INTERVALS = 3;

/**
 * Reconciles stored server statuses with the hub every
 * HUB_RECONCILE_INTERVAL seconds, so statuses come right after the hub was
 * away or servers changed behind the API's back, and stops servers idle
 * past their template's timeout or alive past its lifetime. Of several
 * replicas, the one holding the reconciler's lease does it: a pass asks the
 * hub about every active user, and N replicas would ask N times (and race
 * to stop the same servers).
 */
@lifeCycleObserver('reconcile')
export class ServerStatusObserver implements LifeCycleObserver {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private hubWasDown = false;

  constructor(
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @service(ServerService) private readonly servers: ServerService,
    @service(JupyterHubService) private readonly hub: JupyterHubService,
    @service(LeaseService) private readonly leases: LeaseService,
    @service(LoggerService) private readonly logger: LoggerService,
    @service(MetricsService) private readonly metrics: MetricsService,
  ) {}

  start(): void {
    if (!this.hub.configured) return;
    this.timer = setInterval(() => {
      this.reconcileOnce().catch(err => this.logger.warn('cannot take the reconciler lease', {reason: (err as Error).message}));
    }, this.config.hub.reconcileIntervalSeconds * 1000);
    this.timer.unref();
  }

  /** Stops the passes, waits for one under way (the database closes after this) and hands the lease over. */
  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.leases.release(RECONCILER_LEASE).catch(() => undefined);
    this.logger.info('shutdown: server status reconciliation stopped');
  }

  /**
   * One pass, if this instance holds the lease (taken or renewed here); a
   * pass still running when the next is due is not doubled. Answers whether
   * it passed.
   */
  async reconcileOnce(): Promise<boolean> {
    if (this.running) return false;
    const leased = async () => {
      const ttlMs = LEASE_INTERVALS * this.config.hub.reconcileIntervalSeconds * 1000;
      if (!(await this.leases.acquire(RECONCILER_LEASE, ttlMs))) return false;
      await this.pass();
      return true;
    };
    const pass = leased();
    this.running = pass.then(
      () => undefined,
      () => undefined,
    );
    try {
      return await pass;
    } finally {
      this.running = undefined;
    }
  }

  private async pass(): Promise<void> {
    try {
      const {changed} = await this.servers.reconcile(this.config.hub.reconcileMaxRequests);
      this.metrics.reconciled('ok', changed);
      if (this.hubWasDown) this.logger.info('JupyterHub answers again; server statuses reconciled', {changed});
      this.hubWasDown = false;
    } catch (err) {
      this.metrics.reconciled('error');
      this.metrics.peerFailed(err);
      if (!this.hubWasDown) {
        this.logger.warn('cannot reconcile server statuses with JupyterHub', {reason: (err as Error).message});
      }
      this.hubWasDown = true;
    }
  }
}
