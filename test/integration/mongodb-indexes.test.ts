/**
 * A DOUBLE of MongoDB: no MongoDB server can run where these tests run, so
 * loopback-connector-mongodb's own autoupdate is driven against a stand-in
 * `db` whose collections record the createIndex calls they get. It proves
 * what the connector sends for the models' declared indexes, not that a
 * server builds them: a real server would also refuse to build a unique
 * index over rows that already break it.
 */
import {juggler} from '@loopback/repository';
import {expect} from '@loopback/testlab';
import type {NotebooksHubApplication} from '../../src/application';
import {loadConfig} from '../../src/config';
import {dbSettings, DbDataSource} from '../../src/datasources/db.datasource';
import {DatabaseSchemaObserver} from '../../src/observers/database-schema.observer';
import {DatasetRepository} from '../../src/repositories/dataset.repository';
import {GrantRepository} from '../../src/repositories/grant.repository';
import {GroupRepository} from '../../src/repositories/group.repository';
import {LaunchTicketRepository} from '../../src/repositories/launch-ticket.repository';
import {ModuleRepository} from '../../src/repositories/module.repository';
import {SecretRepository} from '../../src/repositories/secret.repository';
import {ServerRepository} from '../../src/repositories/server.repository';
import {TemplateRepository} from '../../src/repositories/template.repository';
import {UserRepository} from '../../src/repositories/user.repository';
import type {GroupService} from '../../src/services/group.service';

interface CreateIndexCall {
  collection: string;
  keys: Record<string, unknown>;
  options: Record<string, unknown>;
}

describe('MongoDB gets the unique indexes the models declare (autoupdate against a recording double)', () => {
  const MONGO_URL = 'mongodb://mongo.invalid:27017/notebooks_hub';

  it('creates each unique key as a unique index with its fields', async () => {
    // Lazily connected: the double takes the place of the connection below.
    const dataSource = new juggler.DataSource({...dbSettings(loadConfig({NODE_ENV: 'test', MONGO_URL})), lazyConnect: true});
    const db = dataSource as unknown as DbDataSource;
    for (const Repository of [
      DatasetRepository,
      GrantRepository,
      GroupRepository,
      LaunchTicketRepository,
      ModuleRepository,
      SecretRepository,
      ServerRepository,
      TemplateRepository,
      UserRepository,
    ]) {
      new Repository(db);
    }
    const calls: CreateIndexCall[] = [];
    Object.assign(dataSource.connector!, {
      db: {
        collection: (collection: string) => ({
          createIndex: async (keys: Record<string, unknown>, options: Record<string, unknown>) => {
            calls.push({collection, keys, options});
            return options.name;
          },
        }),
      },
    });
    dataSource.connected = true;

    await dataSource.autoupdate();

    const unique = calls.filter(call => call.options.unique === true);
    expect(unique.map(({collection, keys, options}) => ({collection, keys, name: options.name}))).to.deepEqual([
      {collection: 'Group', keys: {owner: 1, nameKey: 1}, name: 'uniqueName'},
      {collection: 'LaunchTicket', keys: {hash: 1}, name: 'uniqueHash'},
      {collection: 'Module', keys: {owner: 1, name: 1, version: 1, deletedAt: 1}, name: 'uniqueLiveModule'},
      {collection: 'Server', keys: {owner: 1, name: 1}, name: 'uniqueName'},
      {collection: 'Template', keys: {creator: 1, serverName: 1}, name: 'uniqueServerName'},
      {collection: 'User', keys: {email: 1}, name: 'uniqueEmail'},
    ]);
    // MongoDB removes expired launch tickets itself.
    expect(calls.filter(call => call.options.expireAfterSeconds !== undefined).map(({collection, keys, options}) => ({collection, keys, ttl: options.expireAfterSeconds}))).to.deepEqual([
      {collection: 'LaunchTicket', keys: {expiresAt: 1}, ttl: 0},
    ]);
  });

  it('runs the schema update at start on MongoDB only, after keying legacy group names', async () => {
    const startWith = async (connector: string) => {
      const steps: string[] = [];
      const observer = new DatabaseSchemaObserver(
        {migrateSchema: async () => steps.push('migrateSchema')} as unknown as NotebooksHubApplication,
        {connector: {name: connector}} as unknown as DbDataSource,
        {keyLegacyNames: async () => steps.push('keyLegacyNames')} as unknown as GroupService,
      );
      await observer.start();
      return steps;
    };
    expect(await startWith('mongodb')).to.deepEqual(['keyLegacyNames', 'migrateSchema']);
    expect(await startWith('memory')).to.deepEqual(['keyLegacyNames']);
  });
});
