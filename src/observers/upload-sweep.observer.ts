import {lifeCycleObserver, LifeCycleObserver, service} from '@loopback/core';
import {UploadService} from '../services/files/upload.service';
import {LoggerService} from '../services/logger.service';

/**
 * Node's HTTP server cuts a request whose body takes longer than five
 * minutes (its requestTimeout): a received file untouched for twice that
 * belongs to no upload in flight, in this process or another on DATA_DIR.
 */
export const UPLOAD_LEFTOVER_IDLE_MS = 10 * 60 * 1000;

/**
 * Removes the partial files of uploads that a crash or a stop cut off
 * (an upload cut while the process runs removes its own at once): at start
 * and every ten minutes, since a file cut at the last stop is still young
 * at the next start.
 */
@lifeCycleObserver('purge')
export class UploadSweepObserver implements LifeCycleObserver {
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;

  constructor(
    @service(UploadService) private readonly uploads: UploadService,
    @service(LoggerService) private readonly logger: LoggerService,
  ) {}

  async start(): Promise<void> {
    await this.sweep();
    this.timer = setInterval(() => {
      this.sweeping = this.sweep();
    }, UPLOAD_LEFTOVER_IDLE_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  private async sweep(): Promise<void> {
    try {
      const removed = await this.uploads.sweepLeftovers(UPLOAD_LEFTOVER_IDLE_MS);
      if (removed > 0) this.logger.info('removed the partial files of cut uploads', {removed});
    } catch (err) {
      this.logger.error('the sweep of cut uploads failed', {reason: (err as Error).message});
    }
  }
}
