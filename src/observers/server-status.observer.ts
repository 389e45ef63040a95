import {inject, lifeCycleObserver, LifeCycleObserver, service} from '@loopback/core';
import type {AppConfig} from '../config';
import {AppBindings} from '../keys';
import {JupyterHubService} from '../services/hub/jupyterhub.service';
import {LoggerService} from '../services/logger.service';
import {MetricsService} from '../services/observability/metrics.service';
import {ServerService} from '../services/hub/server.service';

/**
 * Reconciles stored server statuses with the hub every
 * HUB_RECONCILE_INTERVAL seconds, so statuses come right after the hub was
 * away or servers changed behind the API's back.
 */
@lifeCycleObserver('reconcile')
export class ServerStatusObserver implements LifeCycleObserver {
  private timer?: NodeJS.Timeout;
  private running = false;
  private hubWasDown = false;

  constructor(
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @service(ServerService) private readonly servers: ServerService,
    @service(JupyterHubService) private readonly hub: JupyterHubService,
    @service(LoggerService) private readonly logger: LoggerService,
    @service(MetricsService) private readonly metrics: MetricsService,
  ) {}

  start(): void {
    if (!this.hub.configured) return;
    this.timer = setInterval(() => {
      this.reconcileOnce().catch(() => undefined);
    }, this.config.hub.reconcileIntervalSeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass; a pass still running when the next is due is not doubled. */
  async reconcileOnce(): Promise<void> {
    if (this.running) return;
    this.running = true;
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
    } finally {
      this.running = false;
    }
  }
}
