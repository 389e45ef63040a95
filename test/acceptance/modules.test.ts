import {expect} from '@loopback/testlab';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {folderTree} from '../fixtures/folder-tree';
import {ApiWorld, PEOPLE, unique} from '../fixtures/api-world';
import {temporaryFolder} from '../fixtures/test-app';
import {buildZip} from '../fixtures/zip-builder';
import {forSuite} from '../fixtures/for-suite';


describe('Modules', () => {
  let world: ApiWorld;
  let root: string;

  forSuite(() => ApiWorld.start(), started => {
    world = started;
    root = world.api.app.config.modulesRoot;
  });

  const modulefile = (name: string, version: string, owner = PEOPLE.owner) =>
    path.join(root, 'modulefiles', owner, name, `${version}.lua`);

  it('creates an empty binaries folder and the modulefile {owner}/{name}/{version}.lua', async () => {
    const owner = await world.as('owner');
    const res = await owner
      .post('/modules')
      .send({
        name: 'samtools',
        version: '1.19',
        description: 'SAM tools',
        luaModuleFile: [
          {id: 'whatis', arguments: ['Tools for SAM files']},
          {id: 'prepend_path', arguments: ['PATH', '/opt/modules/binaries/x/bin']},
        ],
      })
      .expect(200);
    expect(res.body).to.containDeep({name: 'samtools', version: '1.19', owner: PEOPLE.owner, featured: false});
    expect(await fs.readdir(path.join(root, 'binaries', res.body._id))).to.deepEqual([]);
    const text = await fs.readFile(modulefile('samtools', '1.19'), 'utf8');
    expect(text).to.containEql('whatis("Tools for SAM files")');
    expect(text).to.containEql('prepend_path("PATH", "/opt/modules/binaries/x/bin")');
  });

  it('lists the allowed functions with their arguments', async () => {
    const res = await (await world.as('stranger')).get('/volume/lua').expect(200);
    const setenv = res.body.find((fn: {id: string}) => fn.id === 'setenv');
    expect(setenv).to.containDeep({minArguments: 2, maxArguments: 2, arguments: [{name: 'variable'}, {name: 'value'}]});
    expect(res.body.map((fn: {id: string}) => fn.id)).to.containDeep(['help', 'whatis', 'prepend_path', 'append_path', 'load', 'family']);
  });

  it('refuses an unknown function id with 400 and creates nothing', async () => {
    const before = await folderTree(root);
    const res = await (await world.as('owner'))
      .post('/modules')
      .send({name: 'evil', version: '1', luaModuleFile: [{id: 'os.execute', arguments: ['rm -rf /']}]})
      .expect(400);
    expect(res.body.error.message).to.match(/not an allowed function/);
    expect(await folderTree(root)).to.deepEqual(before);
  });

  for (const [label, fields] of [
    ['a slash in the name', {name: 'a/b', version: '1'}],
    ['.. as the name', {name: '..', version: '1'}],
    ['.. in the version', {name: 'tool', version: '../../../etc'}],
    ['a NUL byte in the version', {name: 'tool', version: '1\u00000'}],
    ['an over-long name', {name: 'x'.repeat(65), version: '1'}],
    ['a leading dot', {name: '.hidden', version: '1'}],
  ] as const) {
    it(`refuses ${label} with 400 and writes nothing anywhere`, async () => {
      const before = await folderTree(path.dirname(root));
      await (await world.as('owner')).post('/modules').send(fields).expect(400);
      expect(await folderTree(path.dirname(root))).to.deepEqual(before);
    });
  }

  it('refuses a second module with the same owner, name and version with 409', async () => {
    const owner = await world.as('owner');
    const name = unique('dup-');
    await owner.post('/modules').send({name, version: '1.0'}).expect(200);
    await owner.post('/modules').send({name, version: '1.0'}).expect(409);
    await (await world.as('writer')).post('/modules').send({name, version: '1.0'}).expect(200);
  });

  it('lets only admins feature a module, which every signed-in user can then read', async () => {
    await (await world.as('owner')).post('/modules').send({name: unique('f-'), version: '1', featured: true}).expect(403);
    const featured = await (await world.as('admin')).post('/modules').send({name: unique('f-'), version: '1', featured: true}).expect(200);
    const stranger = await world.as('stranger');
    await stranger.get(`/modules/${featured.body._id}`).expect(200);
    await stranger.patch(`/modules/${featured.body._id}`).send({description: 'mine now'}).expect(403);
    const listed = await stranger.get('/modules').expect(200);
    expect(listed.body.map((m: {_id: string}) => m._id)).to.containEql(featured.body._id);
    const own = await (await world.as('owner')).post('/modules').send({name: unique('nf-'), version: '1'}).expect(200);
    await (await world.as('owner')).patch(`/modules/${own.body._id}`).send({featured: true}).expect(403);
  });

  it('regenerates the modulefile on PATCH and moves it when name or version change', async () => {
    const owner = await world.as('owner');
    const name = unique('tool-');
    const {body} = await owner.post('/modules').send({name, version: '1.0', luaModuleFile: [{id: 'setenv', arguments: ['A', '1']}]}).expect(200);
    await owner.patch(`/modules/${body._id}`).send({luaModuleFile: [{id: 'setenv', arguments: ['A', '2']}]}).expect(200);
    expect(await fs.readFile(modulefile(name, '1.0'), 'utf8')).to.containEql('setenv("A", "2")');
    await owner.patch(`/modules/${body._id}`).send({version: '2.0'}).expect(200);
    await expect(fs.access(modulefile(name, '1.0'))).to.be.rejected();
    expect(await fs.readFile(modulefile(name, '2.0'), 'utf8')).to.containEql('setenv("A", "2")');
    await owner.patch(`/modules/${body._id}`).send({luaModuleFile: [{id: 'nope', arguments: []}]}).expect(400);
    expect(await fs.readFile(modulefile(name, '2.0'), 'utf8')).to.containEql('setenv("A", "2")');
  });

  it('moves binaries and modulefile out of MODULEPATH on delete; an admin restores both', async () => {
    const owner = await world.as('owner');
    const name = unique('gone-');
    const {body} = await owner.post('/modules').send({name, version: '3', luaModuleFile: [{id: 'whatis', arguments: ['w']}]}).expect(200);
    await fs.writeFile(path.join(root, 'binaries', body._id, 'tool'), '#!/bin/sh\n');
    await owner.delete(`/modules/${body._id}`).expect(204);
    await expect(fs.access(modulefile(name, '3'))).to.be.rejected();
    await expect(fs.access(path.join(root, 'binaries', body._id))).to.be.rejected();
    expect(await folderTree(path.join(root, '.trash', body._id))).to.deepEqual(['binaries', 'binaries/tool', 'modulefile.lua']);

    await (await world.as('admin')).post(`/modules/${body._id}/restore`).expect(200);
    expect(await fs.readFile(path.join(root, 'binaries', body._id, 'tool'), 'utf8')).to.equal('#!/bin/sh\n');
    expect(await fs.readFile(modulefile(name, '3'), 'utf8')).to.containEql('whatis("w")');
    await expect(fs.access(path.join(root, '.trash', body._id))).to.be.rejected();
  });

  describe('programs in a module\'s binaries folder', () => {
    /** A module of the owner, shared for writing with the writer and for reading with the direct reader. */
    const sharedModule = async () => {
      const owner = await world.as('owner');
      const {body} = await owner.post('/modules').send({name: unique('prog-'), version: '1.0'}).expect(200);
      await owner.post(`/modules/${body._id}/share`).send({relation: 'write', userArray: [PEOPLE.writer]}).expect(200);
      await owner.post(`/modules/${body._id}/share`).send({relation: 'read', userArray: [PEOPLE.direct]}).expect(200);
      return {id: body._id as string, name: body.name as string, binaries: path.join(root, 'binaries', body._id)};
    };
    const modeOf = async (file: string) => (await fs.stat(file)).mode & 0o7777;
    const program = '#!/bin/sh\necho "hello from the module"\n';

    it('lets a writer put programs there (0755 when marked executable, else 0644), and the modulefile puts the folder on PATH', async () => {
      const {id, name, binaries} = await sharedModule();
      const writer = await world.as('writer');
      const written = await writer
        .post('/volume/file')
        .send({type: 'file', root: `module:${id}`, name: 'hello', content: Buffer.from(program).toString('base64'), format: 'base64', executable: true})
        .expect(200);
      expect(written.body).to.containDeep({root: `module:${id}`, path: 'hello', executable: true, link: null});
      expect(await fs.readFile(path.join(binaries, 'hello'), 'utf8')).to.equal(program);
      expect(await modeOf(path.join(binaries, 'hello'))).to.equal(0o755);
      await writer.post('/volume/file').send({type: 'file', root: `module:${id}`, path: 'share', name: 'data.txt', content: 'data'}).expect(200);
      expect(await modeOf(path.join(binaries, 'share', 'data.txt'))).to.equal(0o644);
      expect(await modeOf(path.join(binaries, 'share'))).to.equal(0o755);

      // Each write says it: written again without the flag, it is no longer a program; with it, it is again.
      await writer.post('/volume/file').send({type: 'file', root: `module:${id}`, name: 'hello', content: program}).expect(200);
      expect(await modeOf(path.join(binaries, 'hello'))).to.equal(0o644);
      await writer.post('/volume/file').send({type: 'file', root: `module:${id}`, name: 'hello', content: program, executable: true}).expect(200);
      expect(await modeOf(path.join(binaries, 'hello'))).to.equal(0o755);

      const listed = await (await world.as('direct')).get('/volume/files').query({root: `module:${id}`}).expect(200);
      expect(listed.body.map((e: {name: string; type: string; executable?: boolean}) => [e.name, e.type, e.executable])).to.deepEqual([
        ['hello', 'file', true],
        ['share', 'directory', undefined],
      ]);
      expect(await fs.readFile(modulefile(name, '1.0'), 'utf8')).to.containEql(`prepend_path("PATH", "${binaries}")`);
    });

    it('makes programs of the entries a bundle marks executable, never setuid, and plain files of the others', async () => {
      const {id, binaries} = await sharedModule();
      const bundle = buildZip([
        {name: 'bin/tool', data: program, mode: 0o104755},
        {name: 'bin/helper', data: program, mode: 0o100700},
        {name: 'README', data: 'read me', mode: 0o100666},
      ]);
      const res = await (await world.as('writer')).post('/volume/upload').query({root: `module:${id}`}).attach('file', bundle, 'tools.zip').expect(200);
      expect(res.body.files.sort()).to.deepEqual(['README', 'bin/helper', 'bin/tool']);
      expect(await modeOf(path.join(binaries, 'bin', 'tool'))).to.equal(0o755);
      expect(await modeOf(path.join(binaries, 'bin', 'helper'))).to.equal(0o755);
      expect(await modeOf(path.join(binaries, 'README'))).to.equal(0o644);
    });

    it('refuses writes and uploads of a reader (403) and a stranger (404), and executable outside a module\'s binaries or on a folder (400), changing nothing', async () => {
      const {id, binaries} = await sharedModule();
      const before = await folderTree(root);
      const file = {type: 'file', root: `module:${id}`, name: 'sneaky', content: program, executable: true};
      const reader = await world.as('direct');
      expect((await reader.post('/volume/file').send(file).expect(403)).body.error.message).to.match(/needs write access to the module; you have read access/);
      await reader.post('/volume/upload').query({root: `module:${id}`}).attach('file', buildZip([{name: 'sneaky', data: program}]), 'b.zip').expect(403);
      await reader.delete('/volume/file').query({root: `module:${id}`, path: 'anything'}).expect(403);
      await (await world.as('stranger')).post('/volume/file').send(file).expect(404);
      await (await world.as('owner')).post('/volume/file').send({...file, root: 'module:no-such-module'}).expect(404);

      const home = await (await world.as('owner')).post('/volume/file').send({...file, root: undefined}).expect(400);
      expect(home.body.error).to.containDeep({code: 'validation_failed', details: [{path: '/executable'}]});
      await (await world.as('owner')).post('/volume/file').send({...file, type: 'directory', name: 'bin'}).expect(400);
      expect(await folderTree(root)).to.deepEqual(before);
      expect(await fs.readdir(binaries)).to.deepEqual([]);
    });

    it('lets only the owner and admins put programs into a featured module, which everyone loads', async () => {
      const admin = await world.as('admin');
      const {body} = await admin.post('/modules').send({name: unique('curated-'), version: '1.0', featured: true}).expect(200);
      await admin.post(`/modules/${body._id}/share`).send({relation: 'write', userArray: [PEOPLE.writer]}).expect(200);
      const file = {type: 'file', root: `module:${body._id}`, name: 'tool', content: program, executable: true};
      await (await world.as('writer')).post('/volume/file').send(file).expect(403);
      await (await world.as('stranger')).post('/volume/file').send(file).expect(403);
      await admin.post('/volume/file').send(file).expect(200);
    });

    it('writes nothing through a binaries folder swapped for a symlink, or through a program swapped for one', async () => {
      const {id, binaries} = await sharedModule();
      const elsewhere = await temporaryFolder('elsewhere');
      await fs.writeFile(path.join(elsewhere, 'target'), 'untouched');
      const writer = await world.as('writer');

      await fs.symlink(path.join(elsewhere, 'target'), path.join(binaries, 'hello'));
      const throughFile = await writer.post('/volume/file').send({type: 'file', root: `module:${id}`, name: 'hello', content: 'x', executable: true}).expect(400);
      expect(throughFile.body.error.message).to.match(/symlink/);
      await fs.unlink(path.join(binaries, 'hello'));

      await fs.rename(binaries, `${binaries}.real`);
      await fs.symlink(elsewhere, binaries);
      try {
        const throughFolder = await writer.post('/volume/file').send({type: 'file', root: `module:${id}`, name: 'hello', content: 'x', executable: true}).expect(400);
        // Opened with O_NOFOLLOW | O_DIRECTORY, a symlink to a folder is no folder.
        expect(throughFolder.body.error.message).to.match(/binaries\/[^ ]+ is not a folder/);
      } finally {
        await fs.unlink(binaries);
        await fs.rename(`${binaries}.real`, binaries);
      }
      expect(await folderTree(elsewhere)).to.deepEqual(['target']);
      expect(await fs.readFile(path.join(elsewhere, 'target'), 'utf8')).to.equal('untouched');
      expect((await fs.stat(path.join(elsewhere, 'target'))).mode & 0o777).not.to.equal(0o755);
    });
  });
});
