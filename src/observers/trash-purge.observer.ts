import {inject, lifeCycleObserver, LifeCycleObserver, service} from '@loopback/core';
import type {AppConfig} from '../config';
import {AppBindings} from '../keys';
import {LeaseService} from '../services/coordination/lease.service';
import {LeasedTimer} from './leased-timer';
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
  private readonly sweeps: LeasedTimer;

  constructor(
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @service(DatasetService) private readonly datasets: DatasetService,
    @service(ModuleService) private readonly modules: ModuleService,
    @service(SecretService) private readonly secrets: SecretService,
    @service(LeaseService) leases: LeaseService,
    @service(LoggerService) private readonly logger: LoggerService,
  ) {
    // Only a killed API leaves dataset folders without a record, and a start follows it: the sweep at start looks for them.
    const sweep = (atStart: boolean) => this.purge(new Date(), atStart).then(() => undefined);
    this.sweeps = new LeasedTimer(leases, TRASH_PURGE_LEASE, config.trashPurgeIntervalMinutes * 60 * 1000, sweep);
  }

  start(): void {
    this.sweeps.start(err => this.logger.error('trash purge failed', {reason: err.message}), {atStart: true});
  }

  /** Resolves once no sweep is under way. */
  idle(): Promise<void> {
    return this.sweeps.idle();
  }

  /** Stops sweeping, waits for a sweep under way (the database closes after this) and hands the lease over. */
  async stop(): Promise<void> {
    await this.sweeps.stop();
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
