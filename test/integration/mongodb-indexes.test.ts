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
import type {GroupService} from '../../src/kinds/group/group.service';
import type {LoggerService} from '../../src/services/logger.service';
import {PAGINATION_MEDIA_TYPE} from '../../src/services/pagination.service';
import {ApiWorld, PEOPLE, seedSharedResources} from '../fixtures/api-world';
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

  it('creates the lists\' indexes: by owner, public or featured flag, member, and all, each ending with the list\'s order', async () => {
    const listIndexes = [];
    const collections = (await database.db.listCollections().toArray()).map(({name}) => name).sort();
    for (const collection of collections) {
      for (const {name, key} of await indexesOf(collection)) if (name.startsWith('list')) listIndexes.push({collection, key, name});
    }
    // Servers list their indexes in an order of their own (FerretDB by name): compared by collection, then name.
    listIndexes.sort((a, b) => a.collection.localeCompare(b.collection) || a.name.localeCompare(b.name));
    expect(listIndexes).to.deepEqual([
      {collection: 'Dataset', key: {deletedAt: 1, name: 1, _id: 1}, name: 'listAll'},
      {collection: 'Dataset', key: {owner: 1, deletedAt: 1, name: 1, _id: 1}, name: 'listByOwner'},
      {collection: 'Group', key: {name: 1, _id: 1}, name: 'listAll'},
      {collection: 'Group', key: {members: 1, name: 1, _id: 1}, name: 'listByMember'},
      {collection: 'Group', key: {owner: 1, name: 1, _id: 1}, name: 'listByOwner'},
      {collection: 'Module', key: {deletedAt: 1, name: 1, version: 1, _id: 1}, name: 'listAll'},
      {collection: 'Module', key: {owner: 1, deletedAt: 1, name: 1, version: 1, _id: 1}, name: 'listByOwner'},
      {collection: 'Module', key: {featured: 1, deletedAt: 1, name: 1, version: 1, _id: 1}, name: 'listFeatured'},
      {collection: 'Secret', key: {state: 1, secretName: 1, _id: 1}, name: 'listAll'},
      {collection: 'Secret', key: {owner: 1, state: 1, secretName: 1, _id: 1}, name: 'listByOwner'},
      {collection: 'Server', key: {createdAt: 1, _id: 1}, name: 'listAll'},
      {collection: 'Server', key: {owner: 1, createdAt: 1, _id: 1}, name: 'listByOwner'},
      {collection: 'Template', key: {timestamp: -1, _id: 1}, name: 'listAll'},
      {collection: 'Template', key: {creator: 1, timestamp: -1, _id: 1}, name: 'listByCreator'},
      {collection: 'Template', key: {public: 1, timestamp: -1, _id: 1}, name: 'listPublic'},
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

type MongoQuery = Record<string, unknown>;
type Term = Array<[string, unknown]>;
interface MongoConnector {
  buildWhere(model: string, where: object): MongoQuery;
  buildSort(model: string, order?: unknown): Record<string, 1 | -1>;
  _models: Record<string, {settings: {indexes?: Record<string, {keys?: Record<string, 1 | -1>}>}}>;
}

/**
 * What the connector builds for the lists is checked against the indexes
 * (FerretDB's query plans are its own, so MongoDB's are not asked): the queries
 * the services make are recorded from the running API (the same services
 * answer on both stores), translated by loopback-connector-mongodb, and
 * each branch of each `$or` must have an index whose leading keys are the
 * fields the branch fixes by equality (but sort keys) and whose next keys
 * are the sort, as MongoDB needs to read a page in order without testing
 * or sorting every match; or be bounded
 * by `_id $in` (the granted ids, read by id and sorted). Queries without an
 * order (the grants and groups access is decided on) need an index their
 * equalities bound.
 */
describe('The lists\' queries, as loopback-connector-mongodb builds them, are served by the declared indexes', () => {
  it('for every query of every list, each caller, narrowed, counted and by cursor', async () => {
    const world = await ApiWorld.start();
    const recorded: Array<{model: string; filter: {where?: object; order?: string[]}; narrowed: boolean; counted?: boolean}> = [];
    let narrowed = false;
    let mongo!: MongoConnector;
    try {
      for (let i = 0; i < 2; i++) await seedSharedResources(world);
      mongo = (await world.api.app.get<DbDataSource>('datasources.db')).connector as unknown as MongoConnector;
      const connector = mongo as unknown as {
        all(model: string, filter: object, options: object, callback: (err: Error | null, rows?: object[]) => void): void;
        count(model: string, where: object, options: object, callback: (err: Error | null, count?: number) => void): void;
      };
      const {all, count} = connector;
      connector.all = (model, filter, options, callback) => {
        recorded.push({model, filter: structuredClone(filter), narrowed});
        all.call(connector, model, filter, options, callback);
      };
      // A total is the page's where clause counted: it needs the same indexes, in no order.
      connector.count = (model, where, options, callback) => {
        recorded.push({model, filter: {where: structuredClone(where)}, narrowed, counted: true});
        count.call(connector, model, where, options, callback);
      };
      for (const person of ['owner', 'direct', 'group', 'org', 'writer', 'stranger', 'admin'] as const) {
        const as = await world.as(person);
        for (const list of ['/datasets', '/modules', '/templates', '/secrets', '/servers', '/groups']) {
          const page = await as.get(list).query({limit: 1}).set('Accept', PAGINATION_MEDIA_TYPE).expect(200);
          if (page.body._pagination.next) await as.get(page.body._pagination.next.url).set('Accept', PAGINATION_MEDIA_TYPE).expect(200);
          narrowed = true;
          await as.get(list).query({owner: PEOPLE.owner, name: 'x'}).expect(200);
          narrowed = false;
        }
      }
      Object.assign(connector, {all, count});
    } finally {
      await world.stop();
    }

    const unserved = recorded.flatMap(({model, filter, narrowed: byRequest, counted}) => {
      const query = mongo.buildWhere(model, filter.where ?? {});
      const sort = mongo.buildSort(model, filter.order);
      const indexes = [{_id: 1 as const}, ...Object.values(mongo._models[model].settings.indexes ?? {}).flatMap(index => (index.keys ? [index.keys] : []))];
      return termsOf(query)
        // Counting everything is estimatedDocumentCount, read from the collection's metadata.
        .filter(term => !(counted && term.length === 0) && !servedBy(term, filter.order ? sort : {}, indexes, byRequest))
        .map(term => ({model, term: Object.fromEntries(term), sort}));
    });
    expect(recorded.map(({model}) => model)).to.containDeep(['Dataset', 'Module', 'Template', 'Secret', 'Server', 'Group', 'Grant']);
    expect(unserved).to.deepEqual([]);
  });
});

/** A MongoDB filter as an `$or` of terms (`$and` distributed over `$or`), each a list of field conditions. */
function termsOf(query: MongoQuery): Term[] {
  let terms: Term[] = [[]];
  const product = (left: Term[], right: Term[]) => left.flatMap(a => right.map(b => [...a, ...b]));
  for (const [key, value] of Object.entries(query)) {
    if (key === '$and') terms = product(terms, (value as MongoQuery[]).reduce<Term[]>((all, clause) => product(all, termsOf(clause)), [[]]));
    else if (key === '$or') terms = product(terms, (value as MongoQuery[]).flatMap(termsOf));
    else terms = terms.map(term => [...term, [key, value]]);
  }
  return terms;
}

/** A condition MongoDB reads as index points: a value, null (`$type: 10` as the connector writes it), or `$in`. */
function isEquality(condition: unknown): boolean {
  if (condition === null || typeof condition !== 'object' || condition instanceof Date) return true;
  const operators = Object.keys(condition);
  return operators.length === 1 && ['$in', '$eq', '$type'].includes(operators[0]);
}

/**
 * Whether an index reads the term's rows in the sort order, bounded by the
 * equalities it looks up: all of the term's (sort keys apart), or, for a
 * list narrowed by the request (owner, name), at least one, the narrowing
 * then tested on the rows of the branch.
 */
function servedBy(term: Term, sort: Record<string, 1 | -1>, indexes: Array<Record<string, 1 | -1>>, narrowed: boolean): boolean {
  const fixed = new Set(term.filter(([, condition]) => isEquality(condition)).map(([field]) => field));
  return indexes.some(index => {
    const keys = Object.entries(index);
    let bound = 0;
    while (bound < keys.length && fixed.has(keys[bound][0])) bound++;
    // Looked up by id: a few rows, sorted after.
    if (keys.length === 1 && keys[0][0] === '_id' && bound === 1) return true;
    const lookedUp = new Set(keys.slice(0, bound).map(([key]) => key));
    if (!narrowed && [...fixed].some(field => !lookedUp.has(field) && !(field in sort))) return false;
    const wanted = Object.entries(sort).filter(([field]) => !lookedUp.has(field));
    if (wanted.length === 0) return bound > 0;
    const rest = keys.slice(bound);
    const reversed = rest[0]?.[1] !== wanted[0][1];
    return wanted.every(([field, direction], i) => rest[i]?.[0] === field && (reversed ? -rest[i][1] : rest[i][1]) === direction);
  });
}
