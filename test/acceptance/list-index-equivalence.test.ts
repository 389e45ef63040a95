import {expect} from '@loopback/testlab';
import {Memory} from 'loopback-datasource-juggler/lib/connectors/memory';
import type {DbDataSource} from '../../src/datasources/db.datasource';
import {PAGINATION_MEDIA_TYPE} from '../../src/services/pagination.service';
import {ApiWorld, TEMPLATE_BODY} from '../fixtures/api-world';
import {seededRandom} from '../fixtures/seeded-random';

type Rows = (err: Error | null, rows?: object[]) => void;
type Counted = (err: Error | null, count?: number) => void;
interface StoreConnector {
  cache: Memory['cache'];
  ids: Memory['ids'];
  _models: Memory['_models'];
  all(model: string, filter: object, options: object, callback: Rows): void;
  count(model: string, where: object, options: object, callback: Counted): void;
}
type Query = {model: string; filter: object; answered: string} | {model: string; where: object; counted: number};
type Item = {_id: string};

const LISTS = ['/datasets', '/modules', '/templates', '/secrets', '/servers', '/groups'];
const PEOPLE = ['ana@lab.org', 'ben@lab.org', 'cai@lab.org', 'dee@other.org', 'eve@other.org'];
const ORGS = ['lab.org', 'other.org'];
/** Few names, so that lists hold ties broken by id. */
const NAMES = ['alpha', 'beta', 'gamma', 'delta'];

/**
 * Every list the API answers comes from the embedded store's indexes. Here
 * people create, share, revoke and delete at random (seeded), and then every
 * page of every list, for each of them and an admin, as offset pages and as
 * the envelope's cursor pages, is read; every query the store answered
 * meanwhile (the lists' pages and totals, and the grants and groups that
 * access is decided on) is asked again of LoopBack's stock memory connector
 * holding the same rows, which tests and sorts every row: both must answer
 * the same rows in the same order, and the same counts. The pages read must
 * also make up the whole list, each row once.
 */
describe('Indexed lists answer what a scan of every row answers, for every caller and page', () => {
  let world: ApiWorld;
  let connector: StoreConnector;
  let queries: Query[];

  before(async () => {
    world = await ApiWorld.start();
    connector = (await world.api.app.get<DbDataSource>('datasources.db')).connector as unknown as StoreConnector;
    const {all, count} = connector;
    connector.all = (model, filter, options, callback) => {
      const asked = structuredClone(filter);
      all.call(connector, model, filter, options, (err, rows) => {
        queries?.push({model, filter: asked, answered: JSON.stringify(rows)});
        callback(err, rows);
      });
    };
    connector.count = (model, where, options, callback) => {
      const asked = structuredClone(where);
      count.call(connector, model, where, options, (err, counted) => {
        queries?.push({model, where: asked, counted: counted!});
        callback(err, counted);
      });
    };
  });

  after(async () => {
    await world?.stop();
  });

  it('for random creates, shares, revokes and deletes, then every page of every list (seed 7)', async () => {
    const random = seededRandom(7);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    const owned = new Map<string, Array<{kind: string; id: string}>>(PEOPLE.map(person => [person, []]));
    const groups: string[] = [];

    const act = async () => {
      const person = pick(PEOPLE);
      const as = await world.as(person);
      const mine = owned.get(person)!;
      const roll = random();
      if (roll < 0.55) {
        const kind = pick(['datasets', 'modules', 'template', 'secrets', 'groups', 'servers']);
        const name = `${pick(NAMES)}-${Math.floor(random() * 3)}`;
        const bodies: Record<string, object> = {
          datasets: {name},
          modules: {name, version: `${Math.floor(random() * 2)}.0`},
          template: {...TEMPLATE_BODY, name, public: random() < 0.3},
          secrets: {secretName: name, type: 'env_var', value: {TOKEN: 'x'}},
          groups: {name: `${name}-${groups.length}`},
        };
        if (kind === 'servers') {
          const template = mine.find(resource => resource.kind === 'template');
          if (!template) return;
          const res = await as.put('/servers').query({templateId: template.id, start: false});
          if (res.status === 200) mine.push({kind: 'servers', id: res.body._id});
          return;
        }
        const res = await as.post(`/${kind}`).send(bodies[kind]);
        // Unique keys (a module's version, a group's name) may refuse a repeat.
        expect([200, 409]).to.containEql(res.status);
        if (res.status !== 200) return;
        mine.push({kind, id: res.body._id});
        if (kind === 'groups') {
          groups.push(res.body._id);
          for (const member of PEOPLE.filter(() => random() < 0.4)) {
            await as.post(`/groups/${res.body._id}/members`).query({memberEmail: member}).expect(200);
          }
        }
      } else if (roll < 0.85) {
        const resource = mine.filter(r => r.kind !== 'groups');
        if (resource.length === 0) return;
        const {kind, id} = pick(resource);
        const base = kind === 'template' ? 'templates' : kind;
        const url = (action: string) =>
          kind === 'secrets' ? (action === 'share' ? `/secret/share/${id}` : `/secret/${id}/revoke`) : `/${base}/${id}/${action}`;
        const body = {
          relation: pick(['read', 'write']),
          userArray: PEOPLE.filter(() => random() < 0.3),
          groupArray: groups.filter(() => random() < 0.3),
          orgArray: ORGS.filter(() => random() < 0.2),
        };
        if (body.userArray.length + body.groupArray.length + body.orgArray.length === 0) body.userArray = [pick(PEOPLE)];
        const res = await as.post(url(random() < 0.7 ? 'share' : 'revoke')).send(body);
        expect({status: res.status, body: res.body}).to.containDeep({status: 200});
      } else {
        const deletable = mine.filter(r => r.kind !== 'servers');
        if (deletable.length === 0) return;
        const resource = pick(deletable);
        const url =
          resource.kind === 'template'
            ? `/template?id=${resource.id}`
            : resource.kind === 'secrets'
            ? `/secret/${resource.id}`
            : `/${resource.kind}/${resource.id}`;
        const res = await as.delete(url);
        // A template a server uses is not deleted.
        expect([204, 409]).to.containEql(res.status);
        if (res.status !== 204) return;
        mine.splice(mine.indexOf(resource), 1);
        if (resource.kind === 'groups') groups.splice(groups.indexOf(resource.id), 1);
      }
    };

    const readEveryPage = async (caller: string, admin: boolean) => {
      const as = await world.as(admin ? 'admin' : caller);
      for (const list of LISTS) {
        const full: Item[] = (await as.get(list).query({limit: 1000}).expect(200)).body;
        expect(new Set(full.map(item => item._id)).size).to.equal(full.length);
        const limit = 1 + Math.floor(random() * 4);
        const byOffset: Item[] = [];
        for (let offset = 0; offset < full.length + limit; offset += limit) {
          byOffset.push(...(await as.get(list).query({offset, limit}).expect(200)).body);
        }
        expect(byOffset).to.deepEqual(full);
        const byCursor: Item[] = [];
        let next: string | undefined = `${list}?limit=${limit}`;
        while (next) {
          const page: {body: {items: Item[]; _pagination: {total: number; next: {url: string} | null}}} = await as
            .get(next)
            .set('Accept', PAGINATION_MEDIA_TYPE)
            .expect(200);
          expect(page.body._pagination.total).to.equal(full.length);
          byCursor.push(...page.body.items);
          next = page.body._pagination.next?.url;
        }
        expect(byCursor).to.deepEqual(full);
      }
    };

    for (let round = 0; round < 4; round++) {
      queries = [];
      for (let i = 0; i < 60; i++) await act();
      queries = [];
      for (const person of PEOPLE) await readEveryPage(person, false);
      await readEveryPage('admin', true);

      // The same rows in a connector that tests and sorts every row.
      const scan = new Memory(null, {}) as unknown as StoreConnector;
      scan._models = connector._models;
      scan.cache = structuredClone(connector.cache);
      scan.ids = structuredClone(connector.ids);
      const listed = new Set<string>();
      for (const query of queries) {
        if ('filter' in query) {
          const rows = await new Promise<object[]>((resolve, reject) =>
            scan.all(query.model, structuredClone(query.filter), {}, (err, found) => (err ? reject(err) : resolve(found ?? []))),
          );
          expect({model: query.model, filter: query.filter, answered: JSON.parse(query.answered)}).to.deepEqual({
            model: query.model,
            filter: query.filter,
            answered: JSON.parse(JSON.stringify(rows)),
          });
        } else {
          const counted = await new Promise<number>((resolve, reject) =>
            scan.count(query.model, structuredClone(query.where), {}, (err, found) => (err ? reject(err) : resolve(found ?? 0))),
          );
          expect({model: query.model, where: query.where, counted: query.counted}).to.deepEqual({
            model: query.model,
            where: query.where,
            counted,
          });
        }
        listed.add(query.model);
      }
      // Each list, and what access is decided on, was asked of the store and compared.
      expect([...listed].sort()).to.containDeep(['Dataset', 'Grant', 'Group', 'Module', 'Secret', 'Server', 'Template']);
    }
  });
});
