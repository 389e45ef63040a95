import {inject, lifeCycleObserver, LifeCycleObserver, service} from '@loopback/core';
import type {AppConfig} from '../config';
import {AppBindings} from '../keys';
import {JupyterHubService} from '../services/hub/jupyterhub.service';
import {LeaseService} from '../services/coordination/lease.service';
import {LeasedTimer} from './leased-timer';
import {LoggerService} from '../services/logger.service';
import {MetricsService} from '../services/observability/metrics.service';
import {ServerService} from '../kinds/server/server.service';

/** The lease of the reconciler: of several replicas on one database, its holder alone reconciles. */
export const RECONCILER_LEASE = 'server-reconciler';

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
  private readonly passes: LeasedTimer;
  private hubWasDown = false;

  constructor(
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @service(ServerService) private readonly servers: ServerService,
    @service(JupyterHubService) private readonly hub: JupyterHubService,
    @service(LeaseService) leases: LeaseService,
    @service(LoggerService) private readonly logger: LoggerService,
    @service(MetricsService) private readonly metrics: MetricsService,
  ) {
    this.passes = new LeasedTimer(leases, RECONCILER_LEASE, config.hub.reconcileIntervalSeconds * 1000, () => this.pass());
  }

  start(): void {
    if (!this.hub.configured) return;
    this.passes.start(err => this.logger.warn('cannot take the reconciler lease', {reason: err.message}));
  }

  /** Stops the passes, waits for one under way (the database closes after this) and hands the lease over. */
  async stop(): Promise<void> {
    if (await this.passes.stop()) this.logger.info('shutdown: server status reconciliation stopped');
  }

  /**
   * One pass, if this instance holds the lease (taken or renewed here); a
   * pass still running when the next is due is not doubled. Answers whether
   * it passed.
   */
  reconcileOnce(): Promise<boolean> {
    return this.passes.runOnce();
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
