import {CoreBindings, inject, lifeCycleObserver, LifeCycleObserver, service} from '@loopback/core';
import type {NotebooksHubApplication} from '../application';
import {DbDataSource} from '../datasources/db.datasource';
import {GroupService} from '../services/group.service';

/**
 * Brings the database in line with the models before the API serves (group
 * 'datasource-schema' starts after 'datasource' has connected, and before
 * the purge and reconciliation). Groups stored before names were keyed get
 * their key; then, on MongoDB, the indexes the models declare are created
 * (autoupdate): the unique ones are what keeps unique keys unique across
 * replicas. The embedded store holds the declared indexes itself.
 */
@lifeCycleObserver('datasource-schema')
export class DatabaseSchemaObserver implements LifeCycleObserver {
  constructor(
    @inject(CoreBindings.APPLICATION_INSTANCE) private readonly app: NotebooksHubApplication,
    @inject('datasources.db') private readonly dataSource: DbDataSource,
    @service(GroupService) private readonly groups: GroupService,
  ) {}

  async start(): Promise<void> {
    await this.groups.keyLegacyNames();
    if (this.dataSource.connector?.name !== 'mongodb') return;
    // migrateSchema attaches every repository's model to the datasource first, so autoupdate sees them all.
    await this.app.migrateSchema().catch((err: Error) => {
      throw new Error(
        `The MongoDB indexes the models declare could not be created (${err.message}). Rows that break a unique ` +
          'index must be fixed first, and the database user needs the createIndex privilege.',
      );
    });
  }
}
