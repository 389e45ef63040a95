import {expect} from '@loopback/testlab';
import type {DbDataSource} from '../../src/datasources/db.datasource';
import {PAGINATION_MEDIA_TYPE} from '../../src/services/pagination.service';
import {ApiWorld, seedSharedResources, SharedResources, TEMPLATE_BODY, unique} from '../fixtures/api-world';

type Item = {_id: string};
type Rows = (err: Error | null, rows?: object[]) => void;
type Counted = (err: Error | null, count?: number) => void;
interface StoreConnector {
  all(model: string, filter: object, options: object, callback: Rows): void;
  count(model: string, where: object, options: object, callback: Counted): void;
}

/** The six list endpoints, the model each reads, and the ids of a seed the `group` person may read. */
const LISTS = [
  {path: '/datasets', model: 'Dataset', seeded: (s: SharedResources) => [s.datasetId]},
  {path: '/modules', model: 'Module', seeded: (s: SharedResources) => [s.moduleId, s.featuredModuleId]},
  {path: '/templates', model: 'Template', seeded: (s: SharedResources) => [s.templateId, s.spareTemplateId]},
  {path: '/secrets', model: 'Secret', seeded: (s: SharedResources) => [s.secretId]},
  {path: '/servers', model: 'Server', seeded: (s: SharedResources) => [s.serverId]},
  {path: '/groups', model: 'Group', seeded: (s: SharedResources) => [s.groupId]},
];

/**
 * Lists are paged by the store: a page is the slice of the full list, pages
 * neither overlap nor skip, the envelope's total counts the rows the caller
 * may read and nothing else, and the store reads only the page's rows.
 */
describe('List pages', () => {
  let world: ApiWorld;
  const seeded: SharedResources[] = [];
  /** What a stranger owns: the `group` person may read none of it. */
  const unreadable: string[] = [];

  before(async () => {
    world = await ApiWorld.start();
    for (let i = 0; i < 3; i++) seeded.push(await seedSharedResources(world));
    const stranger = await world.as('stranger');
    const created = async (url: string, body: object) => {
      const res = await stranger.post(url).send(body).expect(200);
      unreadable.push(res.body._id);
      return res.body._id as string;
    };
    await created('/datasets', {name: unique('private-')});
    await created('/modules', {name: unique('private-'), version: '1.0'});
    const templateId = await created('/template', {...TEMPLATE_BODY, name: unique('private-')});
    await created('/secrets', {secretName: unique('private-'), type: 'env_var', value: {TOKEN: 'private'}});
    await created('/groups', {name: unique('private-')});
    unreadable.push((await stranger.put('/servers').query({templateId, start: false}).expect(200)).body._id);
  });

  after(async () => {
    await world?.stop();
  });

  const ids = (items: Item[]) => items.map(item => item._id);

  for (const {path, seeded: readable} of LISTS) {
    it(`GET ${path}: every page is the slice of the full list, and the envelope counts the readable rows only`, async () => {
      const reader = await world.as('group');
      const full: Item[] = (await reader.get(path).query({limit: 1000}).expect(200)).body;
      expect(ids(full)).to.containDeep(seeded.flatMap(readable));
      expect(ids(full).filter(id => unreadable.includes(id))).to.be.empty();

      const paged: Item[] = [];
      for (let offset = 0; offset < full.length + 2; offset += 2) {
        const page = await reader.get(path).query({offset, limit: 2}).expect(200);
        expect(page.body).to.deepEqual(full.slice(offset, offset + 2));
        paged.push(...page.body);
      }
      expect(paged).to.deepEqual(full);

      const envelope = await reader.get(path).query({offset: 1, limit: 2}).set('Accept', PAGINATION_MEDIA_TYPE).expect(200);
      expect(envelope.body.items).to.deepEqual(full.slice(1, 3));
      const {next, ...position} = envelope.body._pagination;
      expect(position).to.deepEqual({offset: 1, limit: 2, total: full.length});
      if (full.length <= 3) expect(next).to.be.null();
      else {
        // The next page after the last row of this one: by its cursor, and at the offset it is at.
        expect(next).to.containDeep({offset: 3, limit: 2});
        expect(next.url).to.match(new RegExp(`^${path}\\?limit=2&after=[\\w-]+$`));
        const followed = await reader.get(next.url).set('Accept', PAGINATION_MEDIA_TYPE).expect(200);
        expect(followed.body.items).to.deepEqual(full.slice(3, 5));
        expect(followed.body._pagination).to.containDeep({offset: 3, limit: 2, total: full.length});
      }

      const admin = await world.as('admin');
      const all: Item[] = (await admin.get(path).query({limit: 1000}).expect(200)).body;
      const counted = await admin.get(path).query({limit: 1}).set('Accept', PAGINATION_MEDIA_TYPE).expect(200);
      expect(counted.body._pagination.total).to.equal(all.length);
      expect(ids(all).some(id => unreadable.includes(id))).to.be.true();
      expect(all.length).to.be.greaterThan(full.length);
    });
  }

  it('counts exactly the rows the caller may read', async () => {
    const reader = await world.as('group');
    const {body} = await reader.get('/datasets').query({limit: 1}).set('Accept', PAGINATION_MEDIA_TYPE).expect(200);
    expect(body._pagination.total).to.equal(seeded.length);
  });

  describe('while others create and delete', () => {
    const ORG = 'paging.org';
    let writer: Awaited<ReturnType<ApiWorld['as']>>;
    let reader: Awaited<ReturnType<ApiWorld['as']>>;

    before(async () => {
      writer = await world.as(`writer@${ORG}`);
      reader = await world.as(`reader@${ORG}`);
    });

    /** A dataset of the writer that everyone at the organisation reads. */
    const shared = async (name: string): Promise<string> => {
      const {body} = await writer.post('/datasets').send({name}).expect(200);
      await writer.post(`/datasets/${body._id}/share`).send({relation: 'read', orgArray: [ORG]}).expect(200);
      return body._id;
    };
    const names = async () =>
      new Map(((await reader.get('/datasets').query({limit: 1000}).expect(200)).body as Array<{_id: string; name: string}>).map(d => [d._id, d.name]));

    it('a reader following next.url sees no row twice, and every row that stayed once, in list order', async () => {
      const stayed: string[] = [];
      const removable: string[] = [];
      for (let i = 0; i < 12; i++) stayed.push(await shared(`m-${String(i).padStart(2, '0')}`));
      for (let i = 0; i < 6; i++) removable.push(await shared(`m-${String(i).padStart(2, '0')}-gone`));
      const seen: string[] = [];
      let url: string | undefined = '/datasets?limit=3';
      for (let round = 0; url; round++) {
        const page: {body: {items: Item[]; _pagination: {next: {url: string} | null}}} = await reader
          .get(url)
          .set('Accept', PAGINATION_MEDIA_TYPE)
          .expect(200);
        seen.push(...ids(page.body.items));
        // Between two pages: rows created before and after the reader's place, rows it saw and rows it has not seen deleted.
        await shared(`a-${round}`);
        await shared(`z-${round}`);
        const gone = removable.shift();
        if (gone) await writer.delete(`/datasets/${gone}`).expect(204);
        url = page.body._pagination.next?.url;
      }
      expect(new Set(seen).size).to.equal(seen.length);
      expect(seen).to.containDeep(stayed);
      const named = await names();
      const order = seen.filter(id => named.has(id)).map(id => [named.get(id)!, id].join('\u0000'));
      expect(order).to.deepEqual([...order].sort());
    });

    it('offset pages move when rows are created before them: the last row of one page is the first of the next', async () => {
      const first = await reader.get('/datasets').query({offset: 0, limit: 3}).expect(200);
      await shared('0-sorts-first');
      const second = await reader.get('/datasets').query({offset: 3, limit: 3}).expect(200);
      expect(second.body[0]).to.deepEqual(first.body[2]);
    });

    it('refuses an `after` that is not a cursor of the list with 400', async () => {
      const modules = await reader.get('/modules').query({limit: 1}).set('Accept', PAGINATION_MEDIA_TYPE).expect(200);
      const fromModules = new URL(modules.body._pagination.next.url, 'http://x').searchParams.get('after');
      for (const after of ['not a cursor', Buffer.from('[-1,"a","b"]').toString('base64url'), Buffer.from('{"o":1}').toString('base64url'), fromModules!]) {
        const res = await reader.get('/datasets').query({after}).expect(400);
        expect(res.body.error.message).to.match(/`after` is not a cursor of this list/);
      }
    });
  });

  describe('in the store', () => {
    let connector: StoreConnector;
    let reads: Array<{model: string; filter: {skip?: number; limit?: number}; rows: number}>;
    let counts: string[];
    let all: StoreConnector['all'];
    let count: StoreConnector['count'];

    beforeEach(async () => {
      connector = (await world.api.app.get<DbDataSource>('datasources.db')).connector as unknown as StoreConnector;
      reads = [];
      counts = [];
      all = connector.all;
      count = connector.count;
      connector.all = (model, filter, options, callback) =>
        all.call(connector, model, filter, options, (err, rows) => {
          reads.push({model, filter, rows: rows?.length ?? 0});
          callback(err, rows);
        });
      connector.count = (model, where, options, callback) => {
        counts.push(model);
        count.call(connector, model, where, options, callback);
      };
    });

    afterEach(() => {
      connector.all = all;
      connector.count = count;
    });

    for (const {path, model} of LISTS) {
      it(`GET ${path} asks the store for the page only, and counts only for the envelope`, async () => {
        const admin = await world.as('admin');
        const total = (await admin.get(path).query({limit: 1}).set('Accept', PAGINATION_MEDIA_TYPE).expect(200)).body._pagination.total;
        expect(total).to.be.greaterThan(3);
        expect(counts).to.deepEqual([model]);
        reads = [];
        counts = [];

        await admin.get(path).query({offset: 1, limit: 2}).expect(200);
        const listed = reads.filter(read => read.model === model);
        expect(listed).to.have.length(1);
        expect(listed[0].filter).to.containDeep({skip: 1, limit: 2});
        expect(listed[0].rows).to.equal(2);
        expect(counts).to.be.empty();
      });
    }
  });
});
