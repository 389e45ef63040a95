import {expect} from '@loopback/testlab';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {ApiWorld, PEOPLE} from '../fixtures/api-world';
import {folderTree} from '../fixtures/folder-tree';
import {temporaryFolder} from '../fixtures/test-app';
import {buildZip, ZipEntry} from '../fixtures/zip-builder';

const NOTEBOOK = {cells: [{cell_type: 'markdown', metadata: {}, source: ['# Hello']}], metadata: {}, nbformat: 4, nbformat_minor: 2};

describe('Files: POST /volume/file, listings and checkpoints', () => {
  let world: ApiWorld;
  let homes: string;

  before(async () => {
    world = await ApiWorld.start({
      HUB_PUBLIC_URL: 'http://hub.example',
      UPLOAD_MAX_BYTES: String(2 * 1024 * 1024),
      ZIP_MAX_ENTRIES: '50',
      ZIP_MAX_BYTES: String(1024 * 1024),
    });
    homes = world.api.app.config.homesRoot;
  });

  after(async () => {
    await world?.stop();
  });

  const home = (...segments: string[]) => path.join(homes, PEOPLE.owner, ...segments);

  it('writes a notebook into the caller\'s home, creating folders, and answers the file with the launcher\'s link that opens it', async () => {
    const owner = await world.as('owner');
    const res = await owner
      .post('/volume/file')
      .send({type: 'notebook', name: 'analysis.ipynb', path: 'projects/2026', content: NOTEBOOK})
      .expect(200);
    expect(res.body).to.containDeep({name: 'analysis.ipynb', path: 'projects/2026/analysis.ipynb', root: 'home', type: 'notebook', content: null});
    expect(res.body.link).to.equal(`${world.api.url}/?open=projects%2F2026%2Fanalysis.ipynb`);
    expect(JSON.parse(await fs.readFile(home('projects', '2026', 'analysis.ipynb'), 'utf8'))).to.deepEqual(NOTEBOOK);
  });

  it('accepts the notebook as JSON text, and writes files and folders', async () => {
    const owner = await world.as('owner');
    await owner.post('/volume/file').send({type: 'notebook', name: 'text.ipynb', content: JSON.stringify(NOTEBOOK)}).expect(200);
    await owner.post('/volume/file').send({type: 'file', name: 'notes.txt', path: 'docs', content: 'ünïcode ✓\n'}).expect(200);
    await owner.post('/volume/file').send({type: 'file', name: 'bytes.bin', content: Buffer.from([0, 1, 2, 255]).toString('base64'), format: 'base64'}).expect(200);
    await owner.post('/volume/file').send({type: 'directory', name: 'empty', path: 'docs'}).expect(200);
    expect(await fs.readFile(home('docs', 'notes.txt'), 'utf8')).to.equal('ünïcode ✓\n');
    expect([...(await fs.readFile(home('bytes.bin')))]).to.deepEqual([0, 1, 2, 255]);
    expect((await fs.stat(home('docs', 'empty'))).isDirectory()).to.be.true();
  });

  it('refuses an invalid notebook with 400 naming what is wrong, and writes nothing', async () => {
    const owner = await world.as('owner');
    const before = await folderTree(home());
    const bad = await owner
      .post('/volume/file')
      .send({type: 'notebook', name: 'bad.ipynb', content: {...NOTEBOOK, cells: [{cell_type: 'code', source: 'x'}]}})
      .expect(400);
    expect(bad.body.error.message).to.match(/not a valid nbformat 4\.2 notebook: \/cells\/0/);
    await owner.post('/volume/file').send({type: 'notebook', name: 'v3.ipynb', content: {...NOTEBOOK, nbformat: 3}}).expect(400);
    await owner.post('/volume/file').send({type: 'notebook', name: 'text.ipynb', content: '{not json'}).expect(400);
    expect(await folderTree(home())).to.deepEqual(before);
  });

  it('keeps the previous content as a checkpoint when it overwrites, and restores it', async () => {
    const owner = await world.as('owner');
    const first = {...NOTEBOOK, cells: [{cell_type: 'markdown', metadata: {}, source: ['first']}]};
    const second = {...NOTEBOOK, cells: [{cell_type: 'markdown', metadata: {}, source: ['second']}]};
    await owner.post('/volume/file').send({type: 'notebook', name: 'versions.ipynb', content: first}).expect(200);
    await owner.post('/volume/file').send({type: 'notebook', name: 'versions.ipynb', content: second}).expect(200);
    expect(JSON.parse(await fs.readFile(home('versions.ipynb'), 'utf8'))).to.deepEqual(second);
    const checkpoints = await owner.get('/volume/checkpoints').query({path: 'versions.ipynb'}).expect(200);
    expect(checkpoints.body).to.have.length(1);
    await owner.post('/volume/checkpoints/restore').query({path: 'versions.ipynb', id: checkpoints.body[0].id}).expect(200);
    expect(JSON.parse(await fs.readFile(home('versions.ipynb'), 'utf8'))).to.deepEqual(first);
    expect((await owner.get('/volume/checkpoints').query({path: 'versions.ipynb'}).expect(200)).body).to.have.length(2);
  });

  it('answers 200 to every one of 40 concurrent overwrites of one file, keeping one of them whole and checkpoints of the others', async () => {
    const owner = await world.as('owner');
    const contents = Array.from({length: 40}, (_, i) => `version ${i} `.repeat(20000));
    const statuses = await Promise.all(
      contents.map(content => owner.post('/volume/file').send({type: 'file', name: 'contended.txt', content}).then(res => res.status)),
    );
    expect(statuses.filter(status => status !== 200)).to.deepEqual([]);
    expect(contents).to.containEql(await fs.readFile(home('contended.txt'), 'utf8'));
    const checkpoints = await owner.get('/volume/checkpoints').query({path: 'contended.txt'}).expect(200);
    expect(checkpoints.body.length).to.be.within(1, 10);
  });

  it('leaves the old file intact when a write is killed between the temporary file and the rename', async () => {
    const owner = await world.as('owner');
    await owner.post('/volume/file').send({type: 'file', name: 'precious.txt', content: 'old'}).expect(200);
    const rename = fs.rename;
    fs.rename = async () => {
      throw Object.assign(new Error('killed before the rename'), {code: 'EIO'});
    };
    try {
      const failed = await owner.post('/volume/file').send({type: 'file', name: 'precious.txt', content: 'new'}).expect(500);
      expect(failed.body).to.deepEqual({error: {statusCode: 500, message: 'Internal Server Error', code: 'internal_error'}});
    } finally {
      fs.rename = rename;
    }
    expect(await fs.readFile(home('precious.txt'), 'utf8')).to.equal('old');
    expect((await fs.readdir(home())).filter(name => name.endsWith('.tmp'))).to.deepEqual([]);
  });

  it('lists a folder with sizes and times, hiding checkpoints; another person\'s home only for admins', async () => {
    const owner = await world.as('owner');
    const listed = await owner.get('/volume/files').query({path: 'docs'}).expect(200);
    expect(listed.body.map((f: {name: string; type: string}) => [f.name, f.type])).to.deepEqual([
      ['empty', 'directory'],
      ['notes.txt', 'file'],
    ]);
    expect(listed.body[1]).to.containDeep({path: 'docs/notes.txt', root: 'home', size: Buffer.byteLength('ünïcode ✓\n')});
    expect((await owner.get('/volume/files').expect(200)).body.map((f: {name: string}) => f.name)).to.not.containEql('.checkpoints');
    await (await world.as('stranger')).get('/volume/files').query({email: PEOPLE.owner}).expect(403);
    const admin = await (await world.as('admin')).get('/volume/files').query({email: PEOPLE.owner, path: 'docs'}).expect(200);
    expect(admin.body).to.have.length(2);
    await owner.get('/volume/files').query({path: 'no/such/folder'}).expect(404);
  });

  it('writes into a dataset the caller may write, and nowhere they may only read', async () => {
    const owner = await world.as('owner');
    const dataset = await owner.post('/datasets').send({name: 'Shared data'}).expect(200);
    await owner.post(`/datasets/${dataset.body._id}/share`).send({relation: 'read', userArray: [PEOPLE.direct]}).expect(200);
    await owner.post(`/datasets/${dataset.body._id}/share`).send({relation: 'write', userArray: [PEOPLE.writer]}).expect(200);
    const written = await (await world.as('writer'))
      .post('/volume/file')
      .send({type: 'file', name: 'results.csv', root: dataset.body._id, content: 'a,b\n'})
      .expect(200);
    expect(written.body).to.containDeep({root: dataset.body._id, link: null});
    expect(await fs.readFile(path.join(world.api.app.config.datasetsRoot, dataset.body._id, 'results.csv'), 'utf8')).to.equal('a,b\n');
    await (await world.as('direct')).post('/volume/file').send({type: 'file', name: 'x', root: dataset.body._id, content: ''}).expect(403);
    await (await world.as('stranger')).post('/volume/file').send({type: 'file', name: 'x', root: dataset.body._id, content: ''}).expect(404);
    const read = await (await world.as('direct')).get('/volume/files').query({root: dataset.body._id}).expect(200);
    expect(read.body.map((f: {name: string}) => f.name)).to.deepEqual(['results.csv']);
  });

  describe('confinement', () => {
    let outside: string;

    before(async () => {
      outside = await temporaryFolder('outside');
      await fs.writeFile(path.join(outside, 'target.txt'), 'outside');
      await fs.mkdir(home(), {recursive: true});
      await fs.symlink(outside, home('link-out'));
      await fs.symlink(path.join(outside, 'target.txt'), home('file-link'));
    });

    const HOSTILE: Array<{name: string; path?: string}> = [
      ...['../x', '../../x', '../../../etc/passwd', 'a/../../x', 'a/../../../x', './../x', '..', '.', 'a/./b/../../..', 'x/../../y'].map(p => ({name: 'f.txt', path: p})),
      ...['/etc', '/tmp/x', '//server/share', '/'].map(p => ({name: 'f.txt', path: p})),
      ...['..\\x', 'a\\..\\..\\x', 'c:\\windows', '\\\\server\\share'].map(p => ({name: 'f.txt', path: p})),
      ...['a\u0000b', 'x\u0000/../..', '\u0000'].map(p => ({name: 'f.txt', path: p})),
      ...['line\nbreak', 'tab\there', 'esc\u001b', 'del\u007f', 'next-line\u0085', 'csi\u009b'].map(p => ({name: 'f.txt', path: p})),
      // Lone UTF-16 surrogates: no file system name can hold them.
      ...['x\ud800.txt', 'x\udc00.txt', '\ud83d', 'tail\udbff'].map(name => ({name})),
      {name: 'f.txt', path: 'a/\ud800/b'},
      {name: 'x'.repeat(256)},
      {name: 'f.txt', path: `${'y'.repeat(300)}`},
      {name: 'f.txt', path: 'z/'.repeat(2100)},
      {name: 'é'.repeat(200)},
      ...['../f.txt', '..', '.', 'a/b', '/f.txt', 'a\\b', 'f\u0000.txt', ''].map(name => ({name})),
      ...['link-out', 'link-out/sub', 'link-out/..', 'file-link'].map(p => ({name: 'f.txt', path: p})),
      {name: 'file-link'},
      {name: 'link-out'},
      {name: 'f.txt', path: '.checkpoints'},
      {name: '.checkpoints'},
    ];

    it(`refuses ${HOSTILE.length} hostile paths with 400 and changes nothing outside the root`, async () => {
      expect(HOSTILE.length).to.be.greaterThanOrEqual(45);
      const owner = await world.as('owner');
      const outsideBefore = await folderTree(outside);
      const dataBefore = (await folderTree(path.dirname(homes))).filter(p => !p.startsWith(`homes/${PEOPLE.owner}`) && p !== 'db.json');
      const homeBefore = await folderTree(home());
      for (const attempt of HOSTILE) {
        for (const type of ['file', 'notebook', 'directory'] as const) {
          const res = await owner.post('/volume/file').send({type, ...attempt, content: type === 'notebook' ? NOTEBOOK : 'pwned'});
          expect(res.status).to.equal(400, `${JSON.stringify(attempt).slice(0, 80)} as ${type}: ${JSON.stringify(res.body).slice(0, 200)}`);
        }
      }
      expect(await folderTree(outside)).to.deepEqual(outsideBefore);
      expect(await fs.readFile(path.join(outside, 'target.txt'), 'utf8')).to.equal('outside');
      const dataAfter = (await folderTree(path.dirname(homes))).filter(p => !p.startsWith(`homes/${PEOPLE.owner}`) && p !== 'db.json');
      expect(dataAfter).to.deepEqual(dataBefore);
      expect(await folderTree(home())).to.deepEqual(homeBefore);
    });

    it('treats percent-encoded dots as plain names inside the root', async () => {
      const owner = await world.as('owner');
      const res = await owner.post('/volume/file').send({type: 'file', name: 'f.txt', path: '%2e%2e/%2e%2e', content: 'inside'}).expect(200);
      expect(res.body.path).to.equal('%2e%2e/%2e%2e/f.txt');
      expect(await fs.readFile(home('%2e%2e', '%2e%2e', 'f.txt'), 'utf8')).to.equal('inside');
    });

    it('answers a body over MAX_BODY_SIZE with 413', async () => {
      const owner = await world.as('owner');
      await owner.post('/volume/file').send({type: 'file', name: 'big.txt', content: 'x'.repeat(11 * 1024 * 1024)}).expect(413);
    });
  });

  describe('uploads (multipart field "file", as the dashboards server took them)', () => {
    const upload = async (file: Buffer, filename: string, query: Record<string, string> = {}) =>
      (await world.as('owner')).post('/volume/upload').query(query).attach('file', file, filename);

    it('writes an uploaded notebook, validated', async () => {
      const res = await upload(Buffer.from(JSON.stringify(NOTEBOOK)), 'uploaded.ipynb', {path: 'uploads'});
      expect(res.status).to.equal(200, JSON.stringify(res.body));
      expect(res.body.files).to.deepEqual(['uploads/uploaded.ipynb']);
      expect(JSON.parse(await fs.readFile(home('uploads', 'uploaded.ipynb'), 'utf8'))).to.deepEqual(NOTEBOOK);
      expect((await upload(Buffer.from('{"cells": 1}'), 'bad.ipynb')).status).to.equal(400);
    });

    it('unpacks a bundle with its resources and links its index notebook', async () => {
      const bundle = buildZip([
        {name: 'index.ipynb', data: JSON.stringify(NOTEBOOK)},
        {name: 'stylesheet.css', data: 'body {}'},
        {name: 'img/', mode: 0o040755},
        {name: 'img/image.jpg', data: Buffer.from([0xff, 0xd8, 0xff])},
      ]);
      const res = await upload(bundle, 'dashboard.zip', {path: 'dash'});
      expect(res.status).to.equal(200, JSON.stringify(res.body));
      expect(res.body.files.sort()).to.deepEqual(['dash/img/image.jpg', 'dash/index.ipynb', 'dash/stylesheet.css']);
      expect(res.body.link).to.equal(`${world.api.url}/?open=dash%2Findex.ipynb`);
      expect(await fs.readFile(home('dash', 'stylesheet.css'), 'utf8')).to.equal('body {}');
      expect((await fs.readdir(home())).filter(name => name.startsWith('.upload-'))).to.deepEqual([]);
    });

    const HOSTILE_BUNDLES: Array<[string, ZipEntry[], RegExp]> = [
      ['zip-slip with ..', [{name: '../evil.txt', data: 'x'}], /relative path|\.\./],
      ['zip-slip through a folder', [{name: 'a/../../evil.txt', data: 'x'}], /relative path|\.\./],
      ['deep zip-slip', [{name: 'ok.txt', data: 'x'}, {name: '../../../../tmp/evil.txt', data: 'x'}], /relative path|\.\./],
      ['an absolute entry', [{name: '/tmp/notebooks-hub-evil.txt', data: 'x'}], /absolute/i],
      ['a backslash entry', [{name: '..\\evil.txt', data: 'x'}], /invalid characters|Backslash/],
      ['a symlink entry and a file through it', [{name: 'link', data: '/etc', mode: 0o120777}, {name: 'link/passwd', data: 'x'}], /symlink/],
      ['a symlink to a file', [{name: 'passwd', data: '/etc/passwd', mode: 0o120777}], /symlink/],
      ['a zip bomb', [{name: 'bomb.bin', data: Buffer.alloc(5 * 1024 * 1024), deflate: true}], /ZIP_MAX_BYTES/],
      ['a lying uncompressed size', [{name: 'liar.bin', data: Buffer.alloc(2 * 1024 * 1024), deflate: true, declaredSize: 10}], /too many bytes|ZIP_MAX_BYTES/],
      ['too many entries', Array.from({length: 51}, (_, i) => ({name: `f${i}.txt`, data: 'x'})), /ZIP_MAX_ENTRIES/],
      ['a NUL in a name', [{name: 'a\u0000b.txt', data: 'x'}], /Control characters|invalid characters/],
      ['an over-long name', [{name: `${'n'.repeat(300)}.txt`, data: 'x'}], /at most 255 bytes/],
      ['the checkpoints folder', [{name: '.checkpoints/x', data: 'x'}], /reserved/],
      ['a control character', [{name: 'a\nb.txt', data: 'x'}], /Control characters/],
    ];

    for (const [label, entries, reason] of HOSTILE_BUNDLES) {
      it(`refuses a bundle with ${label} with 400, writing nothing anywhere`, async () => {
        const outsideBefore = await folderTree(path.dirname(homes));
        const res = await upload(buildZip(entries), 'bundle.zip', {path: 'target'});
        expect(res.status).to.equal(400, JSON.stringify(res.body));
        expect(res.body.error.message).to.match(reason);
        expect(await folderTree(path.dirname(homes))).to.deepEqual(outsideBefore);
        await expect(fs.access('/tmp/notebooks-hub-evil.txt')).to.be.rejected();
      });
    }

    it('refuses what is not a zip or a notebook, and answers 413 past UPLOAD_MAX_BYTES', async () => {
      expect((await upload(Buffer.from('not a zip at all'), 'fake.zip')).status).to.equal(400);
      expect((await upload(Buffer.from('MZ'), 'tool.exe')).status).to.equal(400);
      expect((await upload(Buffer.alloc(3 * 1024 * 1024), 'huge.zip')).status).to.equal(413);
      const none = await (await world.as('owner')).post('/volume/upload').field('other', 'x');
      expect(none.status).to.equal(400);
    });
  });
});
