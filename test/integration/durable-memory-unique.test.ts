import {expect} from '@loopback/testlab';
import {juggler} from '@loopback/repository';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import * as durableMemory from '../../src/framework/durable-memory.connector';
import {temporaryFolder} from '../fixtures/test-app';

/**
 * The embedded store holds the unique indexes a model's settings declare as
 * MongoDB would: every kind of write that would give two rows one key is
 * refused with MongoDB's duplicate key error and changes nothing, in memory
 * or on disk.
 */
describe('The embedded store enforces unique indexes', () => {
  type Row = {_id: string; owner: string; name: string; version?: string; note?: string};
  type Instance = Row & {save(): Promise<unknown>; updateAttributes(data: object): Promise<unknown>};
  type Thing = ReturnType<juggler.DataSource['createModel']> & {
    create(data: object): Promise<Instance>;
    find(filter?: object): Promise<Instance[]>;
    findById(id: string): Promise<Instance>;
    updateAll(where: object, data: object): Promise<{count: number}>;
    replaceById(id: string, data: object): Promise<unknown>;
    replaceOrCreate(data: object): Promise<unknown>;
  };
  let things: Thing;
  let file: string;
  let connector: durableMemory.DurableMemory;

  beforeEach(async () => {
    file = path.join(await temporaryFolder('durable-unique'), 'db.json');
    const dataSource = new juggler.DataSource({name: 'unique', connector: durableMemory, file});
    things = dataSource.createModel(
      'Thing',
      {_id: {type: String, id: true}, owner: {type: String}, name: {type: String}, version: {type: String}, note: {type: String}},
      {indexes: {byOwner: {keys: {owner: 1}}, uniqueThing: {keys: {owner: 1, name: 1, version: 1}, options: {unique: true}}}},
    ) as Thing;
    connector = dataSource.connector as unknown as durableMemory.DurableMemory;
    await things.create({_id: 'a', owner: 'ann', name: 'tool', version: '1'});
    await things.create({_id: 'b', owner: 'ann', name: 'tool', version: '2'});
  });

  /** What is in memory and on disk, to hold equal across a refused write. */
  async function stored(): Promise<{memory: string; disk: string}> {
    return {memory: JSON.stringify(connector.cache), disk: await fs.readFile(file, 'utf8')};
  }

  async function expectRefused(write: () => Promise<unknown>): Promise<void> {
    const before = await stored();
    const err = (await write().then(
      () => undefined,
      (e: unknown) => e,
    )) as {code?: number; message?: string} | undefined;
    expect(err?.code).to.equal(11000);
    expect(err?.message).to.match(/^E11000 duplicate key error collection: Thing index: uniqueThing dup key: /);
    expect(await stored()).to.deepEqual(before);
  }

  it('refuses a create of a stored key, and takes one that differs in any field', async () => {
    await expectRefused(() => things.create({owner: 'ann', name: 'tool', version: '1'}));
    await things.create({owner: 'bob', name: 'tool', version: '1'});
    await things.create({owner: 'ann', name: 'tool', version: '3'});
    expect(await things.find({where: {owner: 'ann', name: 'tool', version: '1'}})).to.have.length(1);
  });

  it('counts a missing field as null, as MongoDB does: two rows without a version collide', async () => {
    await things.create({owner: 'ann', name: 'bare'});
    await expectRefused(() => things.create({owner: 'ann', name: 'bare', version: null}));
  });

  it('refuses an update (updateAll, as updateById does it) that would move a row onto another key', async () => {
    await expectRefused(() => things.updateAll({_id: 'b'}, {version: '1'}));
    expect((await things.findById('b')).version).to.equal('2');
  });

  it('takes an update that keeps a row on its own key', async () => {
    await things.updateAll({_id: 'a'}, {note: 'same key', version: '1'});
    expect((await things.findById('a')).note).to.equal('same key');
  });

  it('refuses an updateAll whose rows would collide with each other, changing none of them', async () => {
    await expectRefused(() => things.updateAll({owner: 'ann'}, {version: '9'}));
    expect((await things.find({order: ['_id ASC']})).map(t => t.version)).to.deepEqual(['1', '2']);
  });

  it('refuses a replace, a replaceOrCreate of a stored row and a save that would collide', async () => {
    await expectRefused(() => things.replaceById('b', {owner: 'ann', name: 'tool', version: '1'}));
    await expectRefused(() => things.replaceOrCreate({_id: 'b', owner: 'ann', name: 'tool', version: '1'}));
    const b = await things.findById('b');
    b.version = '1';
    await expectRefused(() => b.save());
    const again = await things.findById('b');
    await expectRefused(() => again.updateAttributes({version: '1'}));
    const {owner, name, version} = await things.findById('b');
    expect({owner, name, version}).to.deepEqual({owner: 'ann', name: 'tool', version: '2'});
  });

  it('creates one row of 50 creates of one key sent at once', async () => {
    const outcomes = await Promise.allSettled(Array.from({length: 50}, () => things.create({owner: 'cy', name: 'raced', version: '1'})));
    expect(outcomes.filter(o => o.status === 'fulfilled')).to.have.length(1);
    expect(outcomes.filter(o => o.status === 'rejected').map(o => (o.reason as {code: number}).code)).to.deepEqual(Array(49).fill(11000));
    const saved = JSON.parse(await fs.readFile(file, 'utf8')) as {models: {Thing: Record<string, string>}};
    expect(Object.values(saved.models.Thing).filter(json => JSON.parse(json).owner === 'cy')).to.have.length(1);
  });
});
