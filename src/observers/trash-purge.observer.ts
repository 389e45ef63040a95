import {inject, lifeCycleObserver, LifeCycleObserver, service} from '@loopback/core';
import type {AppConfig} from '../config';
import {AppBindings} from '../keys';
import {LeaseService} from '../services/coordination/lease.service';
import {DatasetService} from '../kinds/dataset/dataset.service';
import {LoggerService} from '../services/logger.service';
import {ModuleService} from '../kinds/module/module.service';
import {SecretService} from '../kinds/secret/secret.service';

const DAY_MS = 24 * 3600 * 1000;
/** Of several replicas on one database, the holder of this lease alone sweeps: two would delete the same folders. */
export const TRASH_PURGE_LEASE = 'trash-purge';

/**
 * Purges datasets and modules that have waited in the trash longer than
 * TRASH_RETENTION_DAYS, and secrets a crash left half-written or
 * half-deleted; at start and every TRASH_PURGE_INTERVAL_MINUTES, in the
 * replica holding the purge lease. The sweep at start also removes dataset
 * folders a killed API left without their record.
 */
@lifeCycleObserver('purge')
export class TrashPurgeObserver implements LifeCycleObserver {
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;

  constructor(
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @service(DatasetService) private readonly datasets: DatasetService,
    @service(ModuleService) private readonly modules: ModuleService,
    @service(SecretService) private readonly secrets: SecretService,
    @service(LeaseService) private readonly leases: LeaseService,
    @service(LoggerService) private readonly logger: LoggerService,
  ) {}

  start(): void {
    const intervalMs = this.config.trashPurgeIntervalMinutes * 60 * 1000;
    // Only a killed API leaves dataset folders without a record, and a start follows it: the first sweep looks for them.
    let afterStart = true;
    const sweep = () => {
      const withOrphans = afterStart;
      afterStart = false;
      this.sweeping = this.leases
        .acquire(TRASH_PURGE_LEASE, 3 * intervalMs)
        .then(held => (held ? this.purge(new Date(), withOrphans) : undefined))
        .then(() => undefined)
        .catch(err => this.logger.error('trash purge failed', {reason: (err as Error).message}));
    };
    sweep();
    this.timer = setInterval(sweep, intervalMs);
    this.timer.unref();
  }

  /** Resolves once no sweep is under way. */
  async idle(): Promise<void> {
    await this.sweeping;
  }

  /** Stops sweeping, waits for a sweep under way (the database closes after this) and hands the lease over. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.idle();
    await this.leases.release(TRASH_PURGE_LEASE).catch(() => undefined);
    this.logger.info('shutdown: trash purge stopped');
  }

  /** Answers how many datasets, modules, abandoned secrets and (when asked) orphan dataset folders were purged. */
  async purge(
    now = new Date(),
    withOrphans = false,
  ): Promise<{datasets: number; modules: number; secrets: number; orphanFolders: number}> {
    const cutoff = new Date(now.getTime() - this.config.trashRetentionDays * DAY_MS);
    const purged = {
      datasets: await this.datasets.purgeTrashedBefore(cutoff),
      modules: await this.modules.purgeTrashedBefore(cutoff),
      secrets: await this.secrets.sweepAbandoned(now),
      orphanFolders: withOrphans ? await this.datasets.removeOrphanFolders(now.getTime()) : 0,
    };
    if (purged.datasets + purged.modules + purged.secrets + purged.orphanFolders > 0) this.logger.info('trash purged', purged);
    return purged;
  }
}
