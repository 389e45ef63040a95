import {expect} from '@loopback/testlab';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {folderTree} from '../fixtures/folder-tree';
import {ApiWorld, PEOPLE, unique} from '../fixtures/api-world';


describe('Modules', () => {
  let world: ApiWorld;
  let root: string;

  before(async () => {
    world = await ApiWorld.start();
    root = world.api.app.config.modulesRoot;
  });

  after(async () => {
    await world?.stop();
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
});
