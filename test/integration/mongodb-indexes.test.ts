/**
 * The indexes the models declare, built by loopback-connector-mongodb's
 * autoupdate at start on a real MongoDB-protocol server (FerretDB in the
 * MongoDB-protocol run, .mocharc.mongodb.json), and what the server then
 * refuses.
 */
import {juggler} from '@loopback/repository';
import {expect} from '@loopback/testlab';
import type {NotebooksHubApplication} from '../../src/application';
import type {DbDataSource} from '../../src/datasources/db.datasource';
import {DatabaseSchemaObserver} from '../../src/observers/database-schema.observer';
import {LaunchTicketRepository} from '../../src/repositories/launch-ticket.repository';
import {UserRepository} from '../../src/repositories/user.repository';
import type {GroupService} from '../../src/services/group.service';
import type {LoggerService} from '../../src/services/logger.service';
import {RunningApp, startApp, storeSettings, temporaryFolder} from '../fixtures/test-app';

/** What the tests use of the driver's Db, which the connector holds once connected. */
interface Db {
  collection(name: string): {indexes(): Promise<IndexInfo[]>; insertMany(rows: object[]): Promise<unknown>};
  listCollections(): {toArray(): Promise<Array<{name: string}>>};
  admin(): {command(command: object): Promise<Record<string, unknown>>};
  dropDatabase(): Promise<unknown>;
}

/** The driver's Db of a datasource on the database at `url`. */
async function databaseAt(url: string): Promise<{db: Db; close(): Promise<void>}> {
  const dataSource = new juggler.DataSource({connector: 'mongodb', url});
  await dataSource.connect();
  return {db: (dataSource.connector as unknown as {db: Db}).db, close: () => dataSource.disconnect()};
}

interface IndexInfo {
  name: string;
  key: Record<string, unknown>;
  unique?: boolean;
  expireAfterSeconds?: number;
}

describe('MongoDB gets the indexes the models declare (autoupdate on a real MongoDB-protocol server)', () => {
  let api: RunningApp;
  let database: Awaited<ReturnType<typeof databaseAt>>;
  let ferretDb: boolean;

  before(async () => {
    if (!process.env.MONGO_URL) throw new Error('This suite needs a MongoDB-protocol server: run it with --config .mocharc.mongodb.json');
    api = await startApp();
    database = await databaseAt(storeSettings(api.dataDir).MONGO_URL!);
    // FerretDB answers buildInfo with its own version besides the MongoDB version it speaks.
    ferretDb = 'ferretdbVersion' in (await database.db.admin().command({buildInfo: 1}));
  });

  after(async () => {
    await database?.close();
    await api?.stop();
  });

  const indexesOf = (collection: string) => database.db.collection(collection).indexes();

  it('creates each unique key as a unique index with its fields', async () => {
    const unique = [];
    const collections = (await database.db.listCollections().toArray()).map(({name}) => name).sort();
    for (const collection of collections) {
      for (const {name, key, unique: isUnique} of await indexesOf(collection)) {
        if (isUnique) unique.push({collection, key, name});
      }
    }
    expect(unique).to.deepEqual([
      {collection: 'Group', key: {owner: 1, nameKey: 1}, name: 'uniqueName'},
      {collection: 'LaunchTicket', key: {hash: 1}, name: 'uniqueHash'},
      {collection: 'Module', key: {owner: 1, name: 1, version: 1, deletedAt: 1}, name: 'uniqueLiveModule'},
      {collection: 'Server', key: {owner: 1, name: 1}, name: 'uniqueName'},
      {collection: 'Template', key: {creator: 1, serverName: 1}, name: 'uniqueServerName'},
      {collection: 'User', key: {email: 1}, name: 'uniqueEmail'},
    ]);
  });

  it('has MongoDB remove expired launch tickets itself (TTL index); FerretDB, which has no TTL indexes, gets none', async () => {
    const expiry = (await indexesOf('LaunchTicket')).find(index => index.name === 'expiry');
    if (ferretDb) expect(expiry).to.be.undefined();
    else expect(expiry).to.containDeep({key: {expiresAt: 1}, expireAfterSeconds: 0});
  });

  it('refuses a second row of a unique key (duplicate key error 11000), which the repository answers 409, and keeps the first', async () => {
    const users = await api.app.getRepository(UserRepository);
    const person = {email: 'twice@lab.org', username: 'twice', organisation: 'lab.org', firstSeen: new Date(), lastSeen: new Date()};
    const first = await users.create(person);
    await expect(users.create({...person, username: 'other'})).to.be.rejectedWith({statusCode: 409, message: /^User already exists/});
    expect((await users.find({where: {email: person.email}})).map(user => user._id)).to.deepEqual([first._id]);

    const tickets = await api.app.getRepository(LaunchTicketRepository);
    const ticket = {
      hash: 'a'.repeat(64),
      serverId: 's1',
      hubUser: 'twice',
      serverName: 'one',
      expiresAt: new Date(Date.now() + 60_000),
      createdAt: new Date(),
    };
    await tickets.create(ticket);
    await expect(tickets.create({...ticket, serverId: 's2'})).to.be.rejectedWith({
      statusCode: 409,
      message: /^LaunchTicket already exists/,
    });
    expect(await tickets.count({hash: ticket.hash})).to.deepEqual({count: 1});
  });

  it('will not start on rows that break a unique index: start-up fails and says they must be fixed first', async () => {
    const dataDir = await temporaryFolder('data');
    const broken = await databaseAt(storeSettings(dataDir).MONGO_URL!);
    try {
      const person = {username: 'twice', organisation: 'lab.org', firstSeen: new Date(), lastSeen: new Date()};
      await broken.db.collection('User').insertMany([
        {_id: 'u1', email: 'twice@lab.org', ...person},
        {_id: 'u2', email: 'twice@lab.org', ...person},
      ]);
      await expect(startApp({DATA_DIR: dataDir})).to.be.rejectedWith(
        /indexes the models declare could not be created .*Rows that break a unique index must be fixed first/,
      );
    } finally {
      await broken.db.dropDatabase();
      await broken.close();
    }
  });
});

describe('The schema update at start', () => {
  it('runs on MongoDB only, after keying legacy group names', async () => {
    const startWith = async (connector: string) => {
      const steps: string[] = [];
      const observer = new DatabaseSchemaObserver(
        {migrateSchema: async () => steps.push('migrateSchema')} as unknown as NotebooksHubApplication,
        {
          connector: {name: connector, collection: () => ({createIndex: async () => steps.push('ticket expiry')})},
        } as unknown as DbDataSource,
        {keyLegacyNames: async () => steps.push('keyLegacyNames')} as unknown as GroupService,
        {warn: () => undefined} as unknown as LoggerService,
      );
      await observer.start();
      return steps;
    };
    expect(await startWith('mongodb')).to.deepEqual(['keyLegacyNames', 'migrateSchema', 'ticket expiry']);
    expect(await startWith('memory')).to.deepEqual(['keyLegacyNames']);
  });
});
