import {CoreBindings, inject, lifeCycleObserver, LifeCycleObserver, service} from '@loopback/core';
import type {ApplicationWithRepositories} from '@loopback/repository';
import {DbDataSource} from '../datasources/db.datasource';
import {mongoCollection} from '../framework/mongo-collection';
import {LAUNCH_TICKET_EXPIRY_INDEX, LaunchTicket} from '../models/launch-ticket.model';
import {GroupService} from '../kinds/group/group.service';
import {LoggerService} from '../services/logger.service';

/** MongoDB's error code for a command or option the server does not implement. */
const NOT_IMPLEMENTED = 238;

/**
 * Brings the database in line with the models before the API serves (group
 * 'datasource-schema' starts after 'datasource' has connected, and before
 * the purge and reconciliation). Groups stored before names were keyed get
 * their key; then, on MongoDB, the indexes the models declare are created
 * (autoupdate): the unique ones are what keeps unique keys unique across
 * replicas. The embedded store holds the declared indexes itself.
 * Then the launch tickets' TTL index, which a server may lack.
 */
@lifeCycleObserver('datasource-schema')
export class DatabaseSchemaObserver implements LifeCycleObserver {
  constructor(
    @inject(CoreBindings.APPLICATION_INSTANCE) private readonly app: ApplicationWithRepositories,
    @inject('datasources.db') private readonly dataSource: DbDataSource,
    @service(GroupService) private readonly groups: GroupService,
    @service(LoggerService) private readonly logger: LoggerService,
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
    await this.createTicketExpiryIndex();
  }

  /**
   * A server without TTL indexes (FerretDB 1.x answers NotImplemented) keeps
   * expired tickets until the next mint removes them, as the embedded store
   * does; they are refused at redemption either way.
   */
  private async createTicketExpiryIndex(): Promise<void> {
    const {keys, options} = LAUNCH_TICKET_EXPIRY_INDEX;
    const tickets = mongoCollection(this.dataSource, LaunchTicket.modelName);
    try {
      await tickets.createIndex(keys, options);
    } catch (err) {
      if ((err as {code?: number}).code !== NOT_IMPLEMENTED) {
        throw new Error(`The TTL index of expired launch tickets could not be created (${(err as Error).message})`);
      }
      this.logger.warn('the database has no TTL indexes: expired launch tickets are removed when the next one is minted', {
        reason: (err as Error).message,
      });
    }
  }
}
