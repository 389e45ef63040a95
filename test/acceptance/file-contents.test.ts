import {expect} from '@loopback/testlab';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {ApiWorld, PEOPLE} from '../fixtures/api-world';
import {folderTree} from '../fixtures/folder-tree';
import {temporaryFolder} from '../fixtures/test-app';

const NOTEBOOK = {cells: [{cell_type: 'markdown', metadata: {}, source: ['# Read me']}], metadata: {}, nbformat: 4, nbformat_minor: 2};
const READ_MAX = 4096;

describe('Files: the contents API (read, delete to the trash and restore, rename, checkpoints)', () => {
  let world: ApiWorld;
  let homes: string;
  let owner: Awaited<ReturnType<ApiWorld['as']>>;
  let datasetId: string;

  before(async () => {
    homes = await temporaryFolder('homes');
    world = await ApiWorld.start({HOMES_ROOT: homes, HUB_PUBLIC_URL: 'http://hub.example', FILE_READ_MAX_BYTES: String(READ_MAX)});
    owner = await world.as('owner');
    const write = (body: object) => owner.post('/volume/file').send(body).expect(200);
    await write({type: 'notebook', name: 'n.ipynb', path: 'docs', content: NOTEBOOK});
    await write({type: 'file', name: 'notes.txt', path: 'docs', content: 'plain ✓'});
    await write({type: 'file', name: 'bytes.bin', path: 'docs', content: Buffer.from([0, 159, 255]).toString('base64'), format: 'base64'});
    await write({type: 'file', name: 'big.txt', content: 'x'.repeat(READ_MAX + 1)});
    datasetId = (await owner.post('/datasets').send({name: 'contents-data'}).expect(200)).body._id;
    await owner.post(`/datasets/${datasetId}/share`).send({relation: 'read', userArray: [PEOPLE.direct]}).expect(200);
    await write({type: 'file', root: datasetId, name: 'data.csv', content: 'a,b\n1,2\n'});
  });

  after(async () => {
    await world?.stop();
  });

  const home = (...segments: string[]) => path.join(homes, PEOPLE.owner, ...segments);

  describe('GET /volume/file', () => {
    it('answers a notebook as JSON, text as text, other bytes in base64, a folder as its entries', async () => {
      const notebook = await owner.get('/volume/file').query({path: 'docs/n.ipynb'}).expect(200);
      expect(notebook.body).to.containDeep({name: 'n.ipynb', path: 'docs/n.ipynb', root: 'home', type: 'notebook', format: 'json', content: NOTEBOOK});
      const text = await owner.get('/volume/file').query({path: 'docs/notes.txt'}).expect(200);
      expect(text.body).to.containDeep({type: 'file', format: 'text', content: 'plain ✓', mimetype: 'text/plain'});
      const bytes = await owner.get('/volume/file').query({path: 'docs/bytes.bin'}).expect(200);
      expect(bytes.body).to.containDeep({type: 'file', format: 'base64'});
      expect([...Buffer.from(bytes.body.content, 'base64')]).to.deepEqual([0, 159, 255]);
      const folder = await owner.get('/volume/file').query({path: 'docs'}).expect(200);
      expect(folder.body).to.containDeep({type: 'directory', format: 'json'});
      expect(folder.body.content.map((entry: {name: string}) => entry.name).sort()).to.deepEqual(['bytes.bin', 'n.ipynb', 'notes.txt']);
    });

    it('removes, when it lists their folder, the temporary files a killed API left, and no other file', async () => {
      const anHourAgo = new Date(Date.now() - 3600 * 1000);
      const left = home('docs', '.~0123456789abcdef.tmp');
      const underWay = home('docs', '.~fedcba9876543210.tmp');
      const lookalike = home('docs', '.~not-ours.tmp');
      for (const file of [left, underWay, lookalike]) await fs.writeFile(file, 'partial');
      for (const file of [left, lookalike]) await fs.utimes(file, anHourAgo, anHourAgo);
      const folder = await owner.get('/volume/file').query({path: 'docs'}).expect(200);
      expect(folder.body.content.map((entry: {name: string}) => entry.name)).to.not.containEql('.~0123456789abcdef.tmp');
      await expect(fs.access(left)).to.be.rejected();
      // A write may be under way with the fresh one; the other is not a temporary of the API's.
      await fs.access(underWay);
      await fs.access(lookalike);
      await fs.rm(underWay);
      await fs.rm(lookalike);
    });

    it('answers the model alone with content=0, and reads a dataset the caller may read', async () => {
      const model = await owner.get('/volume/file').query({path: 'docs/notes.txt', content: 0}).expect(200);
      expect(model.body).to.containDeep({name: 'notes.txt', content: null, format: null});
      const reader = await world.as('direct');
      const data = await reader.get('/volume/file').query({root: datasetId, path: 'data.csv'}).expect(200);
      expect(data.body.content).to.equal('a,b\n1,2\n');
    });

    it('answers 404 for a missing file, 413 past FILE_READ_MAX_BYTES, 404 for a dataset the caller cannot read', async () => {
      await owner.get('/volume/file').query({path: 'docs/missing.txt'}).expect(404);
      const big = await owner.get('/volume/file').query({path: 'big.txt'}).expect(413);
      expect(big.body.error.message).to.match(/FILE_READ_MAX_BYTES/);
      await owner.get('/volume/file').query({path: 'big.txt', content: 0}).expect(200);
      await (await world.as('stranger')).get('/volume/file').query({root: datasetId, path: 'data.csv'}).expect(404);
    });

    it('refuses hostile paths with 400', async () => {
      // (A lone surrogate cannot travel in a URL: it is refused in JSON bodies, see POST and PATCH.)
      for (const hostile of ['../x', '/etc/passwd', 'docs/../../x', 'docs/.checkpoints/n.ipynb', '.trash', 'a\u0085b', 'tab\there']) {
        await owner.get('/volume/file').query({path: hostile}).expect(400);
      }
    });
  });

  describe('DELETE /volume/file, GET /volume/trash, POST /volume/trash/restore', () => {
    it('moves a file and a folder to the trash, lists them newest first, and restores them with their content', async () => {
      await owner.post('/volume/file').send({type: 'file', name: 'keep.txt', path: 'old/inner', content: 'restored whole'}).expect(200);
      await owner.post('/volume/file').send({type: 'file', name: 'single.txt', content: 'one'}).expect(200);
      const file = await owner.delete('/volume/file').query({path: 'single.txt'}).expect(200);
      const folder = await owner.delete('/volume/file').query({path: 'old'}).expect(200);
      expect(file.body).to.containDeep({path: 'single.txt', type: 'file'});
      expect(folder.body).to.containDeep({path: 'old', type: 'directory'});
      await expect(fs.access(home('old'))).to.be.rejected();
      const listed = await owner.get('/volume/trash').expect(200);
      expect(listed.body.map((entry: {id: string}) => entry.id)).to.deepEqual([folder.body.id, file.body.id]);
      // Trash and checkpoints are not in listings.
      const names = (await owner.get('/volume/files').expect(200)).body.map((entry: {name: string}) => entry.name);
      expect(names).not.to.containEql('.trash');

      await owner.post('/volume/trash/restore').query({id: folder.body.id}).expect(200);
      expect(await fs.readFile(home('old', 'inner', 'keep.txt'), 'utf8')).to.equal('restored whole');
      expect((await owner.get('/volume/trash').expect(200)).body.map((entry: {id: string}) => entry.id)).to.deepEqual([file.body.id]);
    });

    it('answers 409 when something is where a trashed file would go back, and keeps it in the trash', async () => {
      const trashed = await owner.delete('/volume/file').query({path: 'docs/notes.txt'}).expect(200);
      await owner.post('/volume/file').send({type: 'file', name: 'notes.txt', path: 'docs', content: 'newer'}).expect(200);
      await owner.post('/volume/trash/restore').query({id: trashed.body.id}).expect(409);
      expect(await fs.readFile(home('docs', 'notes.txt'), 'utf8')).to.equal('newer');
      expect((await owner.get('/volume/trash').expect(200)).body.map((entry: {id: string}) => entry.id)).to.containEql(trashed.body.id);
    });

    it('answers 404 for a missing file or trash entry, 400 for a hostile id, and 403 to a reader of a dataset', async () => {
      await owner.delete('/volume/file').query({path: 'nothing.txt'}).expect(404);
      await owner.post('/volume/trash/restore').query({id: 'no-such-entry'}).expect(404);
      await owner.post('/volume/trash/restore').query({id: '../../etc'}).expect(400);
      const reader = await world.as('direct');
      await reader.delete('/volume/file').query({root: datasetId, path: 'data.csv'}).expect(403);
      await reader.get('/volume/trash').query({root: datasetId}).expect(200);
      await (await world.as('stranger')).get('/volume/trash').query({root: datasetId}).expect(404);
    });
  });

  describe('PATCH /volume/file', () => {
    it('renames and moves within the root, taking checkpoints along', async () => {
      await owner.post('/volume/file').send({type: 'file', name: 'draft.txt', content: 'v1'}).expect(200);
      await owner.post('/volume/file').send({type: 'file', name: 'draft.txt', content: 'v2'}).expect(200);
      const moved = await owner.patch('/volume/file').query({path: 'draft.txt'}).send({newPath: 'final/report.txt'}).expect(200);
      expect(moved.body).to.containDeep({name: 'report.txt', path: 'final/report.txt', type: 'file'});
      expect(await fs.readFile(home('final', 'report.txt'), 'utf8')).to.equal('v2');
      await expect(fs.access(home('draft.txt'))).to.be.rejected();
      expect((await owner.get('/volume/checkpoints').query({path: 'final/report.txt'}).expect(200)).body).to.have.length(1);
    });

    it('answers 409 when the target exists, 404 when the source is missing, 400 for a hostile target, and changes nothing', async () => {
      await owner.post('/volume/file').send({type: 'file', name: 'a.txt', content: 'a'}).expect(200);
      await owner.post('/volume/file').send({type: 'file', name: 'b.txt', content: 'b'}).expect(200);
      const before = await folderTree(home());
      await owner.patch('/volume/file').query({path: 'a.txt'}).send({newPath: 'b.txt'}).expect(409);
      await owner.patch('/volume/file').query({path: 'none.txt'}).send({newPath: 'c.txt'}).expect(404);
      for (const hostile of ['../a.txt', '/tmp/a.txt', '.trash/a.txt', 'x/.checkpoints/a.txt', 'a\u0000.txt', 'z\udc00']) {
        await owner.patch('/volume/file').query({path: 'a.txt'}).send({newPath: hostile}).expect(400);
      }
      await owner.patch('/volume/file').query({path: 'final'}).send({newPath: 'final/inside'}).expect(400);
      expect(await folderTree(home())).to.deepEqual(before);
    });

    it('answers 403 to a reader of a dataset', async () => {
      const reader = await world.as('direct');
      await reader.patch('/volume/file').query({root: datasetId, path: 'data.csv'}).send({newPath: 'other.csv'}).expect(403);
    });
  });

  describe('POST and DELETE /volume/checkpoints', () => {
    it('keeps a copy of the file as it is now, lists it, and drops it', async () => {
      await owner.post('/volume/file').send({type: 'file', name: 'kept.txt', content: 'now'}).expect(200);
      const created = await owner.post('/volume/checkpoints').query({path: 'kept.txt'}).expect(200);
      expect(created.body).to.containDeep({size: 3});
      const listed = await owner.get('/volume/checkpoints').query({path: 'kept.txt'}).expect(200);
      expect(listed.body.map((c: {id: string}) => c.id)).to.deepEqual([created.body.id]);
      await owner.delete('/volume/checkpoints').query({path: 'kept.txt', id: created.body.id}).expect(204);
      expect((await owner.get('/volume/checkpoints').query({path: 'kept.txt'}).expect(200)).body).to.deepEqual([]);
    });

    it('answers 404 for a missing file or checkpoint, 413 past FILE_READ_MAX_BYTES, 409 for a folder, 403 to a reader', async () => {
      await owner.post('/volume/checkpoints').query({path: 'none.txt'}).expect(404);
      await owner.delete('/volume/checkpoints').query({path: 'kept.txt', id: 'nope'}).expect(404);
      await owner.post('/volume/checkpoints').query({path: 'big.txt'}).expect(413);
      await owner.post('/volume/checkpoints').query({path: 'docs'}).expect(409);
      await (await world.as('direct')).post('/volume/checkpoints').query({root: datasetId, path: 'data.csv'}).expect(403);
    });
  });
});
