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
import {PAGINATION_MEDIA_TYPE} from '../../src/services/pagination.service';
import {ApiWorld, PEOPLE, seedSharedResources} from '../fixtures/api-world';

interface CreateIndexCall {
  collection: string;
  keys: Record<string, unknown>;
  options: Record<string, unknown>;
}

const MONGO_URL = 'mongodb://mongo.invalid:27017/notebooks_hub';

/** A MongoDB datasource, lazily connected (nothing is reached), with every model of the API attached. */
function mongoDataSource(): juggler.DataSource {
  const dataSource = new juggler.DataSource({...dbSettings(loadConfig({NODE_ENV: 'test', MONGO_URL})), lazyConnect: true});
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
    new Repository(dataSource as unknown as DbDataSource);
  }
  return dataSource;
}

describe('MongoDB gets the unique indexes the models declare (autoupdate against a recording double)', () => {
  /** The createIndex calls the connector's autoupdate sends for every model, against the recording double. */
  async function createIndexCalls(): Promise<CreateIndexCall[]> {
    const dataSource = mongoDataSource();
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
    return calls;
  }

  it('creates each unique key as a unique index with its fields', async () => {
    const calls = await createIndexCalls();
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

  it('creates the lists\' indexes: by owner, public or featured flag, member, and all, each ending with the list\'s order', async () => {
    const calls = await createIndexCalls();
    const listIndexes = calls.filter(call => String(call.options.name).startsWith('list'));
    expect(listIndexes.map(({collection, keys, options}) => ({collection, keys, name: options.name}))).to.deepEqual([
      {collection: 'Dataset', keys: {owner: 1, deletedAt: 1, name: 1, _id: 1}, name: 'listByOwner'},
      {collection: 'Dataset', keys: {deletedAt: 1, name: 1, _id: 1}, name: 'listAll'},
      {collection: 'Group', keys: {owner: 1, name: 1, _id: 1}, name: 'listByOwner'},
      {collection: 'Group', keys: {members: 1, name: 1, _id: 1}, name: 'listByMember'},
      {collection: 'Group', keys: {name: 1, _id: 1}, name: 'listAll'},
      {collection: 'Module', keys: {owner: 1, deletedAt: 1, name: 1, version: 1, _id: 1}, name: 'listByOwner'},
      {collection: 'Module', keys: {featured: 1, deletedAt: 1, name: 1, version: 1, _id: 1}, name: 'listFeatured'},
      {collection: 'Module', keys: {deletedAt: 1, name: 1, version: 1, _id: 1}, name: 'listAll'},
      {collection: 'Secret', keys: {owner: 1, state: 1, secretName: 1, _id: 1}, name: 'listByOwner'},
      {collection: 'Secret', keys: {state: 1, secretName: 1, _id: 1}, name: 'listAll'},
      {collection: 'Server', keys: {owner: 1, createdAt: 1, _id: 1}, name: 'listByOwner'},
      {collection: 'Server', keys: {createdAt: 1, _id: 1}, name: 'listAll'},
      {collection: 'Template', keys: {creator: 1, timestamp: -1, _id: 1}, name: 'listByCreator'},
      {collection: 'Template', keys: {public: 1, timestamp: -1, _id: 1}, name: 'listPublic'},
      {collection: 'Template', keys: {timestamp: -1, _id: 1}, name: 'listAll'},
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

type MongoQuery = Record<string, unknown>;
type Term = Array<[string, unknown]>;
interface MongoConnector {
  buildWhere(model: string, where: object): MongoQuery;
  buildSort(model: string, order?: unknown): Record<string, 1 | -1>;
  _models: Record<string, {settings: {indexes?: Record<string, {keys?: Record<string, 1 | -1>}>}}>;
}

/**
 * What MongoDB is asked for a list cannot be run here (no server), but
 * what the connector builds can be checked against the indexes: the queries
 * the services make are recorded from the running API (the same services
 * answer on both stores), translated by loopback-connector-mongodb, and
 * each branch of each `$or` must have an index whose leading keys are the
 * fields the branch fixes by equality (but sort keys) and whose next keys
 * are the sort, as MongoDB needs to read a page in order without testing
 * or sorting every match; or be bounded
 * by `_id $in` (the granted ids, read by id and sorted). Queries without an
 * order (the grants and groups access is decided on) need an index their
 * equalities bound. Whether a server picks those plans is for a real
 * server to show.
 */
describe('The lists\' queries, as loopback-connector-mongodb builds them, are served by the declared indexes', () => {
  it('for every query of every list, each caller, narrowed, counted and by cursor', async () => {
    const world = await ApiWorld.start();
    const recorded: Array<{model: string; filter: {where?: object; order?: string[]}; narrowed: boolean; counted?: boolean}> = [];
    let narrowed = false;
    try {
      for (let i = 0; i < 2; i++) await seedSharedResources(world);
      const connector = (await world.api.app.get<DbDataSource>('datasources.db')).connector as unknown as {
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

    const mongo = mongoDataSource().connector as unknown as MongoConnector;
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
