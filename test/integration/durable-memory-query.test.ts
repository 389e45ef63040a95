import {expect} from '@loopback/testlab';
import {juggler} from '@loopback/repository';
import path from 'node:path';
import {promisify} from 'node:util';
import * as durableMemory from '../../src/framework/durable-memory.connector';
import {temporaryFolder} from '../fixtures/test-app';

/**
 * The embedded store answers queries from rows parsed once and looks rows up
 * by id directly; the stock memory connector parses and sorts every row per
 * query. For the same stored rows and filters both must answer the same
 * rows, in the same order, with the same values, and count the same rows,
 * also after rows change.
 */
describe('The embedded store queries as the stock memory connector does', () => {
  type Connector = {all(model: string, filter: object, options: object, callback: (err: Error | null, rows?: object[]) => void): void};
  type ModelClass = ReturnType<juggler.DataSource['createModel']> & {
    getDataSource(): {connector: Connector};
    find(filter?: object): Promise<Array<{toJSON(): object}>>;
    count(where?: object): Promise<number>;
    create(data: object): Promise<unknown>;
    updateAll(where: object, data: object): Promise<unknown>;
    destroyAll(where: object): Promise<unknown>;
  };
  let stock: ModelClass;
  let durable: ModelClass;

  const properties = {
    _id: {type: String, id: true},
    name: {type: String},
    score: {type: Number},
    active: {type: Boolean},
    createdAt: {type: Date},
    tags: {type: [String]},
    owner: {type: Object},
    note: {type: String},
  };
  const rows = Array.from({length: 40}, (_, i) => ({
    _id: `id-${String((i * 7) % 40).padStart(2, '0')}`,
    name: `item ${i % 5}`,
    score: (i * 13) % 9,
    active: i % 3 === 0,
    createdAt: new Date(Date.UTC(2026, 0, 1 + (i % 10))),
    tags: i % 4 === 0 ? ['gpu', 'shared'] : ['cpu'],
    owner: {email: `person${i % 3}@example.org`},
    ...(i % 6 === 0 ? {} : {note: `note ${i}`}),
  }));

  before(async () => {
    const stockSource = new juggler.DataSource({name: 'stock', connector: 'memory'});
    const durableSource = new juggler.DataSource({
      name: 'durable',
      connector: durableMemory,
      file: path.join(await temporaryFolder('durable-query'), 'db.json'),
    });
    stock = stockSource.createModel('Item', properties) as ModelClass;
    durable = durableSource.createModel('Item', properties) as ModelClass;
    for (const row of rows) {
      await stock.create(row);
      await durable.create(row);
    }
  });

  const filters: object[] = [
    {},
    {where: {_id: 'id-07'}},
    {where: {_id: 'no-such-id'}},
    {where: {_id: {inq: ['id-03', 'id-21', 'id-09']}}},
    {where: {name: 'item 2'}},
    {where: {note: null}},
    {where: {tags: 'gpu'}},
    {where: {score: {inq: [1, 4]}, note: {neq: null}}},
    {where: {or: [{name: {inq: ['item 1', 'item 3']}}, {tags: {inq: ['gpu']}}, {active: true, score: 0}]}},
    {where: {'owner.email': 'person1@example.org'}},
    {where: {or: [{score: {gt: 6}}, {active: true}]}, order: ['score DESC', 'name ASC']},
    {where: {and: [{score: {lte: 4}}, {createdAt: {gte: new Date(Date.UTC(2026, 0, 5))}}]}},
    {where: {name: {like: 'item%'}}, order: 'createdAt DESC', skip: 3, limit: 7},
    {where: {and: [{or: [{name: 'item 1'}, {name: 'item 2'}]}, {score: {neq: 4}}], active: false}},
    {where: {or: [{and: [{tags: 'gpu'}, {score: {lt: 5}}]}, {_id: {inq: ['id-01', 'id-02']}}]}, order: ['name DESC', '_id ASC']},
    {order: ['note ASC', '_id DESC']},
    {order: ['owner.email DESC'], limit: 5},
    {fields: {_id: true, score: true}, order: ['score ASC'], offset: 10},
  ];

  async function expectSameAnswers(): Promise<void> {
    for (const filter of filters) {
      const expected = (await stock.find(structuredClone(filter))).map(r => r.toJSON());
      const actual = (await durable.find(structuredClone(filter))).map(r => r.toJSON());
      expect(actual).to.deepEqual(expected);
      const {where} = filter as {where?: object};
      expect(await durable.count(structuredClone(where))).to.equal(await stock.count(structuredClone(where)));
    }
  }

  it('answers the same rows in the same order for lookups by id, filters, sorting and pages, and counts the same', async () => {
    await expectSameAnswers();
    expect((await durable.find({where: {_id: 'id-07'}})).length).to.equal(1);
  });

  it('answers the rows as changed or removed since the last query', async () => {
    await expectSameAnswers();
    for (const model of [stock, durable]) {
      await model.updateAll({name: 'item 2'}, {score: 100, note: 'changed'});
      await model.destroyAll({_id: {inq: ['id-07', 'id-21']}});
    }
    await expectSameAnswers();
    expect(await durable.find({where: {_id: 'id-07'}})).to.be.empty();
  });

  it('answers its own frozen rows, same as the copies, to readers that ask for shared rows', async () => {
    const rowsOf = (model: ModelClass, filter: object, options: object) => {
      const connector = model.getDataSource().connector;
      return promisify(connector.all.bind(connector))('Item', structuredClone(filter), options);
    };
    for (const filter of filters.filter(f => !('fields' in f))) {
      const shared = (await rowsOf(durable, filter, {[durableMemory.SHARED_ROWS]: true})) ?? [];
      expect(JSON.stringify(shared)).to.equal(JSON.stringify(await rowsOf(stock, filter, {})));
      for (const row of shared) {
        expect(Object.isFrozen(row)).to.be.true();
        expect(() => (row as {tags: string[]}).tags.push('changed')).to.throw(TypeError);
      }
    }
  });

  it('hands out copies, so changing an answered row changes no later answer', async () => {
    const [first] = await durable.find({where: {_id: 'id-03'}});
    Object.assign(first, {name: 'changed in memory only'});
    const [again] = await durable.find({where: {_id: 'id-03'}});
    expect((again.toJSON() as {name: string}).name).to.not.equal('changed in memory only');
    await expectSameAnswers();
  });
});
