import {inject} from '@loopback/core';
import {DbDataSource} from '../../datasources/db.datasource';
import type {HealthCheck} from '../../types/health-check';

/** The datasource answers a ping (MongoDB) or has its store loaded (embedded). */
export class DatabaseHealthCheck implements HealthCheck {
  readonly name = 'database';

  constructor(@inject('datasources.db') private readonly dataSource: DbDataSource) {}

  async check(): Promise<Record<string, unknown>> {
    const connector = this.dataSource.connector?.name ?? 'unknown';
    if (!this.dataSource.connected) {
      throw new Error(`the ${connector} datasource is not connected`);
    }
    await this.dataSource.ping();
    return {connector};
  }
}
