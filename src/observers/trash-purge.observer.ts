import {inject, lifeCycleObserver, LifeCycleObserver, service} from '@loopback/core';
import type {AppConfig} from '../config';
import {AppBindings} from '../keys';
import {DatasetService} from '../services/files/dataset.service';
import {LoggerService} from '../services/logger.service';
import {ModuleService} from '../services/files/module.service';
import {SecretService} from '../services/secrets/secret.service';

const DAY_MS = 24 * 3600 * 1000;

/**
 * Purges datasets and modules that have waited in the trash longer than
 * TRASH_RETENTION_DAYS, and secrets a crash left half-written or
 * half-deleted; at start and every TRASH_PURGE_INTERVAL_MINUTES.
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
    @service(LoggerService) private readonly logger: LoggerService,
  ) {}

  start(): void {
    const sweep = () => {
      this.sweeping = this.purge()
        .then(() => undefined)
        .catch(err => this.logger.error('trash purge failed', {reason: (err as Error).message}));
    };
    sweep();
    this.timer = setInterval(sweep, this.config.trashPurgeIntervalMinutes * 60 * 1000);
    this.timer.unref();
  }

  /** Stops sweeping, and waits for a sweep under way: the database closes after this. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
    this.logger.info('shutdown: trash purge stopped');
  }

  /** Answers how many datasets, modules and abandoned secrets were purged. */
  async purge(now = new Date()): Promise<{datasets: number; modules: number; secrets: number}> {
    const cutoff = new Date(now.getTime() - this.config.trashRetentionDays * DAY_MS);
    const purged = {
      datasets: await this.datasets.purgeTrashedBefore(cutoff),
      modules: await this.modules.purgeTrashedBefore(cutoff),
      secrets: await this.secrets.sweepAbandoned(now),
    };
    if (purged.datasets + purged.modules + purged.secrets > 0) this.logger.info('trash purged', purged);
    return purged;
  }
}
