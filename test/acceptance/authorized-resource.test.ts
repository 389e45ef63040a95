import {expect} from '@loopback/testlab';
import {DbDataSource} from '../../src/datasources/db.datasource';
import {ApiWorld} from '../fixtures/api-world';
import {TrashPurgeObserver} from '../../src/observers/trash-purge.observer';

type AllCall = (model: string, filter: object, options: object, callback: (...args: unknown[]) => void) => void;

/**
 * The authorizer reads the resource a route acts on once and hands it to
 * the handler: a read by id, a sharing list or a files route on a dataset
 * query the resource's collection once per request.
 */
describe('The resource a route acts on is read once', () => {
  let world: ApiWorld;
  const reads: string[] = [];
  let original: AllCall;
  let connector: {all: AllCall};

  before(async () => {
    world = await ApiWorld.start({HUB_PUBLIC_URL: 'http://hub.example'});
    // The sweep at start reads datasets too: counting begins once it is done.
    await (await world.api.app.get<TrashPurgeObserver>('lifeCycleObservers.TrashPurgeObserver')).idle();
    const db = await world.api.app.get<DbDataSource>('datasources.db');
    connector = db.connector as unknown as {all: AllCall};
    original = connector.all;
    connector.all = function (this: unknown, model, filter, options, callback) {
      reads.push(model);
      return original.call(this, model, filter, options, callback);
    };
  });

  after(async () => {
    if (connector) connector.all = original;
    await world?.stop();
  });

  /** How many times each collection was read while `send` ran. */
  async function readsDuring(send: () => PromiseLike<unknown>): Promise<Record<string, number>> {
    reads.length = 0;
    await send();
    const counts: Record<string, number> = {};
    for (const model of reads) counts[model] = (counts[model] ?? 0) + 1;
    return counts;
  }

  it('reads a dataset once for its read, its access list and its files, and answers it as it is stored', async () => {
    const owner = await world.as('owner');
    const created = await owner.post('/datasets').send({name: 'Read once'}).expect(200);
    const id = created.body._id as string;

    let answer: {body: unknown} | undefined;
    expect((await readsDuring(async () => (answer = await owner.get(`/datasets/${id}`).expect(200)))).Dataset).to.equal(1);
    expect(answer!.body).to.deepEqual(created.body);
    expect((await readsDuring(() => owner.get(`/datasets/${id}/access`).expect(200))).Dataset).to.equal(1);
    expect((await readsDuring(() => owner.get('/volume/files').query({root: id}).expect(200))).Dataset).to.equal(1);
  });

  it('reads a secret once for its value, and never answers its hidden state', async () => {
    const owner = await world.as('owner');
    const created = await owner.post('/secrets').send({secretName: 'once', type: 'raw', mount_path: 'once', value: 'v'}).expect(200);
    let answer: {body: Record<string, unknown>} | undefined;
    const counts = await readsDuring(async () => (answer = await owner.get(`/secret/${created.body._id}`).expect(200)));
    expect(counts.Secret).to.equal(1);
    expect(answer!.body).to.containEql({_id: created.body._id, value: 'v'});
    expect(answer!.body).to.not.have.property('state');
  });

  it('still refuses a resource the caller cannot read, before the handler runs', async () => {
    const owner = await world.as('owner');
    const stranger = await world.as('stranger');
    const {body} = await owner.post('/datasets').send({name: 'Private'}).expect(200);
    await stranger.get(`/datasets/${body._id}`).expect(404);
    await stranger.get('/volume/files').query({root: body._id}).expect(404);
    await stranger.post('/volume/file').send({type: 'file', name: 'x.txt', root: body._id, content: 'x'}).expect(404);
  });
});
