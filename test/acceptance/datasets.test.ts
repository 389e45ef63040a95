import {expect} from '@loopback/testlab';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {TrashPurgeObserver} from '../../src/observers/trash-purge.observer';
import {folderTree} from '../fixtures/folder-tree';
import {ApiWorld, PEOPLE, seedSharedResources, unique} from '../fixtures/api-world';
import {forSuite} from '../fixtures/for-suite';


/** Each field a schema check refused, as `path code`. */
const schemaProblems = (body: {error: {details?: Array<{path: string; code: string}>}}) => (body.error.details ?? []).map(d => `${d.path} ${d.code}`);

describe('Datasets', () => {
  let world: ApiWorld;
  let root: string;

  forSuite(() => ApiWorld.start(), started => {
    world = started;
    root = world.api.app.config.datasetsRoot;
  });

  it('creates an empty folder named by the new id, owned by the caller', async () => {
    const owner = await world.as('owner');
    const res = await owner.post('/datasets').send({name: 'Cell images', description: 'Raw', write_access: true}).expect(200);
    expect(res.body).to.containDeep({name: 'Cell images', owner: PEOPLE.owner, write_access: true});
    expect(await fs.readdir(path.join(root, res.body._id))).to.deepEqual([]);
  });

  it('lets an admin create for another owner, and nobody else', async () => {
    const admin = await world.as('admin');
    const made = await admin.post('/datasets').send({name: 'For bob', owner: 'Bob@Lab.org'}).expect(200);
    expect(made.body.owner).to.equal('bob@lab.org');
    const res = await (await world.as('owner')).post('/datasets').send({name: 'x', owner: 'bob@lab.org'}).expect(403);
    expect(res.body.error.message).to.match(/Only administrators/);
  });

  it('refuses a body without a name with 400 naming the missing field', async () => {
    const res = await (await world.as('owner')).post('/datasets').send({description: 'no name'}).expect(400);
    expect(res.body.error.code).to.equal('validation_failed');
    expect(schemaProblems(res.body)).to.deepEqual(['/name required']);
  });

  for (const [label, name] of [
    ['a slash', 'a/b'],
    ['a backslash', 'a\\b'],
    ['..', '..'],
    ['.', '.'],
    ['a NUL byte', 'a\u0000b'],
    ['a newline', 'a\nb'],
    ['101 characters', 'x'.repeat(101)],
    ['an empty name', ''],
  ] as const) {
    it(`refuses a name with ${label} with 400 naming the field, and creates nothing`, async () => {
      const before = await folderTree(path.dirname(root));
      const res = await (await world.as('owner')).post('/datasets').send({name}).expect(400);
      expect(res.body.error.details[0].path).to.equal('/name');
      expect(await folderTree(path.dirname(root))).to.deepEqual(before);
    });
  }

  it('refuses unknown fields and an over-long description with 400, naming an unknown field', async () => {
    const owner = await world.as('owner');
    const unknown = await owner.post('/datasets').send({name: 'ok', path: '/etc'}).expect(400);
    expect(schemaProblems(unknown.body)).to.deepEqual(['/path additionalProperties']);
    await owner.post('/datasets').send({name: 'ok', description: 'x'.repeat(2001)}).expect(400);
  });

  it('renames as metadata only: the folder keeps its id', async () => {
    const owner = await world.as('owner');
    const {body} = await owner.post('/datasets').send({name: 'before'}).expect(200);
    await owner.patch(`/datasets/${body._id}`).send({name: 'after/../../escape'}).expect(400);
    const renamed = await owner.patch(`/datasets/${body._id}`).send({name: 'after'}).expect(200);
    expect(renamed.body.name).to.equal('after');
    await fs.access(path.join(root, body._id));
  });

  it('moves a deleted dataset to the trash with its files; an admin restores it', async () => {
    const owner = await world.as('owner');
    const admin = await world.as('admin');
    const {body} = await owner.post('/datasets').send({name: unique('precious-')}).expect(200);
    await fs.writeFile(path.join(root, body._id, 'results.csv'), 'a,b\n1,2\n');

    await owner.delete(`/datasets/${body._id}`).expect(204);
    expect(await fs.readFile(path.join(root, '.trash', body._id, 'results.csv'), 'utf8')).to.equal('a,b\n1,2\n');
    await expect(fs.access(path.join(root, body._id))).to.be.rejected();
    await owner.get(`/datasets/${body._id}`).expect(404);
    expect((await owner.get('/datasets').expect(200)).body.map((d: {_id: string}) => d._id)).to.not.containEql(body._id);
    const trash = await admin.get('/datasets/trash').expect(200);
    expect(trash.body.map((d: {_id: string}) => d._id)).to.containEql(body._id);

    await owner.post(`/datasets/${body._id}/restore`).expect(403);
    const restored = await admin.post(`/datasets/${body._id}/restore`).expect(200);
    expect(restored.body).to.not.have.property('deletedAt');
    expect(await fs.readFile(path.join(root, body._id, 'results.csv'), 'utf8')).to.equal('a,b\n1,2\n');
    await owner.get(`/datasets/${body._id}`).expect(200);
    await admin.post(`/datasets/${body._id}/restore`).expect(409);
  });

  it('purges the trash after the retention period, grants included, and not before', async () => {
    const owner = await world.as('owner');
    const {datasetId} = await seedSharedResources(world);
    await owner.delete(`/datasets/${datasetId}`).expect(204);
    const purger = await world.api.app.get<TrashPurgeObserver>('lifeCycleObservers.TrashPurgeObserver');

    await purger.purge(new Date(Date.now() + 29 * 24 * 3600 * 1000));
    await fs.access(path.join(root, '.trash', datasetId));

    const purged = await purger.purge(new Date(Date.now() + 31 * 24 * 3600 * 1000));
    expect(purged.datasets).to.be.greaterThanOrEqual(1);
    await expect(fs.access(path.join(root, '.trash', datasetId))).to.be.rejected();
    await (await world.as('admin')).post(`/datasets/${datasetId}/restore`).expect(404);
  });

  it('removes at start the empty dataset folders a killed API left without their record, and nothing else', async () => {
    const owner = await world.as('owner');
    const kept = await owner.post('/datasets').send({name: 'Kept'}).expect(200);
    const orphan = '0b9d2b1e-4f6a-4c1e-9a55-5d1f4f0c0a01';
    const withData = '0b9d2b1e-4f6a-4c1e-9a55-5d1f4f0c0a02';
    const fresh = '0b9d2b1e-4f6a-4c1e-9a55-5d1f4f0c0a03';
    const anHourAgo = new Date(Date.now() - 3600 * 1000);
    for (const id of [orphan, withData, fresh]) await fs.mkdir(path.join(root, id));
    await fs.writeFile(path.join(root, withData, 'data.csv'), 'a\n');
    for (const id of [orphan, withData, kept.body._id]) await fs.utimes(path.join(root, id), anHourAgo, anHourAgo);
    const purger = await world.api.app.get<TrashPurgeObserver>('lifeCycleObservers.TrashPurgeObserver');

    expect((await purger.purge(new Date(), false)).orphanFolders).to.equal(0);
    await fs.access(path.join(root, orphan));
    expect((await purger.purge(new Date(), true)).orphanFolders).to.equal(1);
    await expect(fs.access(path.join(root, orphan))).to.be.rejected();
    // Someone's data, a folder a create is still making, and a dataset's own folder stay.
    for (const id of [withData, fresh, kept.body._id]) await fs.access(path.join(root, id));
    await owner.get(`/datasets/${kept.body._id}`).expect(200);
  });

  describe('lists', () => {
    let ids: string[];

    before(async () => {
      const lister = await world.as('lister@pages.org');
      ids = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await lister.post('/datasets').send({name: `page ${i}`}).expect(200)).body._id);
      }
    });

    it('answers a plain array limited by offset and limit', async () => {
      const lister = await world.as('lister@pages.org');
      const all = await lister.get('/datasets').expect(200);
      expect(all.body.map((d: {_id: string}) => d._id)).to.deepEqual(ids);
      const page = await lister.get('/datasets').query({offset: 1, limit: 2}).expect(200);
      expect(page.body.map((d: {name: string}) => d.name)).to.deepEqual(['page 1', 'page 2']);
    });

    it('answers the JupyterHub pagination envelope when asked for it', async () => {
      const lister = await world.as('lister@pages.org');
      const first = await lister
        .get('/datasets')
        .query({limit: 2})
        .set('Accept', 'application/jupyterhub-pagination+json')
        .expect(200);
      expect(first.body._pagination).to.containDeep({offset: 0, limit: 2, total: 5, next: {offset: 2, limit: 2}});
      expect(first.body._pagination.next.url).to.match(/^\/datasets\?limit=2&after=[\w-]+$/);
      const last = await lister
        .get('/datasets')
        .query({offset: 4, limit: 2})
        .set('Accept', 'application/jupyterhub-pagination+json')
        .expect(200);
      expect(last.body.items.map((d: {name: string}) => d.name)).to.deepEqual(['page 4']);
      expect(last.body._pagination.next).to.be.null();
    });

    it('refuses a negative offset or a zero limit with 400', async () => {
      const lister = await world.as('lister@pages.org');
      await lister.get('/datasets').query({offset: -1}).expect(400);
      await lister.get('/datasets').query({limit: 0}).expect(400);
    });

    it('shows a stranger none of them, and an admin every one filtered by owner', async () => {
      const stranger = await world.as('stranger');
      const seen = (await stranger.get('/datasets').expect(200)).body.map((d: {_id: string}) => d._id);
      expect(seen.filter((id: string) => ids.includes(id))).to.be.empty();
      const admin = await world.as('admin');
      const filtered = await admin.get('/datasets').query({owner: 'lister@pages.org'}).expect(200);
      expect(filtered.body.map((d: {_id: string}) => d._id)).to.deepEqual(ids);
    });
  });
});
