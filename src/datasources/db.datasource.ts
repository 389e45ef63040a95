import {inject, lifeCycleObserver, LifeCycleObserver, service} from '@loopback/core';
import {juggler} from '@loopback/repository';
import path from 'node:path';
import type {AppConfig} from '../config';
import {AppBindings} from '../keys';
import {LoggerService} from '../services/logger.service';
import * as durableMemory from '../framework/durable-memory.connector';

/**
 * The one datasource of the API: MongoDB when MONGO_URL is set, otherwise the
 * embedded store (the memory connector persisted to DATA_DIR/db.json).
 * Repositories must not depend on which one runs.
 */
@lifeCycleObserver('datasource')
export class DbDataSource
  extends juggler.DataSource
  implements LifeCycleObserver
{
  static dataSourceName = 'db';

  constructor(@inject(AppBindings.CONFIG) config: AppConfig, @service(LoggerService) private readonly logger: LoggerService) {
    super(dbSettings(config));
    // Connection failures reach start() through connect()'s promise and the
    // health check; unheard, the juggler's 'error' event would throw instead.
    this.on('error', () => {});
  }

  /**
   * Connects before the API listens: an unreadable store stops start-up with
   * its reason instead of failing every request later.
   */
  async start(): Promise<void> {
    await this.connect();
  }

  /**
   * Last step of a stop, once nothing serves requests: the embedded store's
   * queued writes reach the disk and DATA_DIR is released; MongoDB's
   * connections close.
   */
  override async stop(): Promise<void> {
    await this.disconnect();
    this.logger.info('shutdown: database closed', {store: this.connector?.name === 'mongodb' ? 'mongodb' : 'embedded'});
  }
}

export function dbSettings(config: AppConfig): object {
  if (config.mongoUrl) {
    return {
      name: 'db',
      connector: 'mongodb',
      url: config.mongoUrl,
      lazyConnect: false,
      // `{field: null}` as MongoDB means it, null or missing, as on the embedded store: live rows have no
      // deletedAt. Without it the connector sends `{$type: 10}`, which matches stored nulls only.
      implicitNullType: true,
    };
  }
  return {
    name: 'db',
    connector: durableMemory,
    file: path.join(config.dataDir, 'db.json'),
  };
}
