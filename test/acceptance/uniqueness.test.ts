import {expect, sinon} from '@loopback/testlab';
import crypto from 'node:crypto';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {GroupRepository} from '../../src/repositories/group.repository';
import {ModuleRepository} from '../../src/kinds/module/module.repository';
import {TemplateRepository} from '../../src/kinds/template/template.repository';
import {UserDirectoryService} from '../../src/services/identity/user-directory.service';
import {UserRepository} from '../../src/repositories/user.repository';
import {folderTree} from '../fixtures/folder-tree';
import {ApiWorld, PEOPLE, TEMPLATE_BODY, unique} from '../fixtures/api-world';
import {forSuite} from '../fixtures/for-suite';

/** Sends `count` requests at once and answers their statuses and bodies. */
async function atOnce(count: number, send: (i: number) => PromiseLike<{status: number; body: {name?: string}}>) {
  return Promise.all(Array.from({length: count}, (_, i) => send(i)));
}

/** Every unique key holds when 50 creates of it arrive together, and against updates that would break it. */
describe('Uniqueness under concurrency', () => {
  let world: ApiWorld;

  forSuite(() => ApiWorld.start({HUB_PUBLIC_URL: 'http://hub.example'}), started => (world = started));

  it('creates one module of 50 parallel creates of one (owner, name, version); the others are 409', async () => {
    const owner = await world.as('owner');
    const answers = await atOnce(50, () => owner.post('/modules').send({name: 'contended', version: '1.0'}));
    expect(answers.filter(a => a.status === 200)).to.have.length(1);
    expect(answers.filter(a => a.status !== 200).map(a => a.status)).to.deepEqual(Array(49).fill(409));
    expect((await owner.get('/modules').query({name: 'contended'}).expect(200)).body).to.have.length(1);
  });

  it('creates one group of 50 parallel creates of one name, whatever its case and surrounding spaces', async () => {
    const owner = await world.as('owner');
    const spellings = ['Lab members', 'lab members', ' LAB MEMBERS ', 'Lab Members  '];
    const answers = await atOnce(50, i => owner.post('/groups').send({name: spellings[i % spellings.length]}));
    expect(answers.filter(a => a.status === 200)).to.have.length(1);
    expect(answers.filter(a => a.status !== 200).map(a => a.status)).to.deepEqual(Array(49).fill(409));
    const [created] = answers.filter(a => a.status === 200);
    expect(created.body.name).to.equal(created.body.name!.trim());
    await owner.post('/groups').send({name: '   '}).expect(400);
  });

  it('gives 50 servers created at once on one template 50 different names', async () => {
    const owner = await world.as('owner');
    const template = await owner.post('/template').send({...TEMPLATE_BODY, name: 'Many at once'}).expect(200);
    const answers = await atOnce(50, () => owner.put('/servers').query({templateId: template.body._id, start: false}));
    expect(answers.map(a => a.status)).to.deepEqual(Array(50).fill(200));
    expect(new Set(answers.map(a => a.body.name)).size).to.equal(50);
  });

  describe('updates that would collide', () => {
    const modulefile = (name: string, version: string) =>
      path.join(world.api.app.config.modulesRoot, 'modulefiles', PEOPLE.owner, name, `${version}.lua`);

    it('answers 409 naming the key to a PATCH of a module onto another module\'s name and version, and changes nothing', async () => {
      const owner = await world.as('owner');
      const [first, second] = [unique('first-'), unique('second-')];
      const a = await owner.post('/modules').send({name: first, version: '1.0', luaModuleFile: [{id: 'setenv', arguments: ['A', '1']}]}).expect(200);
      const b = await owner.post('/modules').send({name: second, version: '2.0', luaModuleFile: [{id: 'setenv', arguments: ['B', '2']}]}).expect(200);
      const modules = await world.api.app.getRepository(ModuleRepository);
      const before = {rows: await modules.find({where: {_id: {inq: [a.body._id, b.body._id]}}}), files: await folderTree(world.api.app.config.modulesRoot)};
      const aFile = await fs.readFile(modulefile(first, '1.0'), 'utf8');

      const refused = await owner.patch(`/modules/${b.body._id}`).send({name: first, version: '1.0'}).expect(409);

      expect(refused.body.error.message).to.equal(`Module already exists with owner "${PEOPLE.owner}", name "${first}" and version "1.0"`);
      expect(await modules.find({where: {_id: {inq: [a.body._id, b.body._id]}}})).to.deepEqual(before.rows);
      expect(await folderTree(world.api.app.config.modulesRoot)).to.deepEqual(before.files);
      expect(await fs.readFile(modulefile(first, '1.0'), 'utf8')).to.equal(aFile);
      expect(await fs.readFile(modulefile(second, '2.0'), 'utf8')).to.containEql('setenv("B", "2")');
    });

    it('answers 409 to renaming a group to another of its owner\'s group names in another case, and changes nothing; its own name in another case is fine', async () => {
      const owner = await world.as('owner');
      const [taken, other] = [unique('Taken '), unique('Other ')];
      await owner.post('/groups').send({name: taken}).expect(200);
      const group = await owner.post('/groups').send({name: other}).expect(200);
      const groups = await world.api.app.getRepository(GroupRepository);
      const before = await groups.findPlain({where: {owner: PEOPLE.owner}}, {withHidden: true});

      const refused = await owner.patch(`/groups/${group.body._id}`).send({name: ` ${taken.toUpperCase()} `}).expect(409);
      // Named as callers know the key: the name, not the stored comparison key.
      expect(refused.body.error.message).to.match(/with owner "[^"]+" and name "/);

      expect(await groups.findPlain({where: {owner: PEOPLE.owner}}, {withHidden: true})).to.deepEqual(before);
      const renamed = await owner.patch(`/groups/${group.body._id}`).send({name: other.toUpperCase()}).expect(200);
      expect(renamed.body).to.deepEqual({...group.body, name: other.toUpperCase()});
    });

    it('lets a trashed module\'s key be taken again; restoring it then answers 409 and leaves both as they are', async () => {
      const owner = await world.as('owner');
      const admin = await world.as('admin');
      const name = unique('again-');
      const trashed = await owner.post('/modules').send({name, version: '1', luaModuleFile: [{id: 'setenv', arguments: ['OLD', '1']}]}).expect(200);
      await owner.delete(`/modules/${trashed.body._id}`).expect(204);
      await owner.post('/modules').send({name, version: '1', luaModuleFile: [{id: 'setenv', arguments: ['NEW', '1']}]}).expect(200);
      const before = await folderTree(world.api.app.config.modulesRoot);

      await admin.post(`/modules/${trashed.body._id}/restore`).expect(409);

      expect(await folderTree(world.api.app.config.modulesRoot)).to.deepEqual(before);
      expect(await fs.readFile(modulefile(name, '1'), 'utf8')).to.containEql('setenv("NEW", "1")');
      const trash = (await admin.get('/modules/trash').expect(200)).body as Array<{_id: string}>;
      expect(trash.map(m => m._id)).to.containEql(trashed.body._id);
    });
  });

  describe('template serverNames', () => {
    afterEach(() => sinon.restore());

    it('holds serverName unique per creator in the store, and lets another creator use it', async () => {
      const templates = await world.api.app.getRepository(TemplateRepository);
      const serverName = unique('shared-name-');
      const template = {...TEMPLATE_BODY, type: 'custom' as const, serverName, timestamp: new Date()};
      await templates.create({...template, creator: PEOPLE.owner});
      await expect(templates.create({...template, creator: PEOPLE.owner})).to.be.rejectedWith({
        statusCode: 409,
        message: `Template already exists with creator "${PEOPLE.owner}" and server name "${serverName}"`,
      });
      await templates.create({...template, creator: PEOPLE.writer});
      expect(await templates.count({serverName})).to.deepEqual({count: 2});
    });

    it('draws another suffix when a template would get a serverName its creator already has', async () => {
      const owner = await world.as('owner');
      // The first two 3-byte draws (the suffixes) are the same random bytes; later ones are random again.
      const randomBytes = crypto.randomBytes.bind(crypto);
      const repeated = randomBytes(3);
      let suffixes = 0;
      sinon.stub(crypto, 'randomBytes').callsFake(((size: number) => (size === 3 && suffixes++ < 2 ? Buffer.from(repeated) : randomBytes(size))) as typeof crypto.randomBytes);
      const name = unique('Twin ');

      const first = await owner.post('/template').send({...TEMPLATE_BODY, name}).expect(200);
      const second = await owner.post('/template').send({...TEMPLATE_BODY, name}).expect(200);

      expect(suffixes).to.be.greaterThanOrEqual(3);
      expect(first.body.serverName).to.endWith(repeated.toString('hex'));
      expect(second.body.serverName).to.not.equal(first.body.serverName);
    });
  });

  it('records one user when a person\'s first sign-ins arrive together', async () => {
    const directory = await world.api.app.get<UserDirectoryService>('services.UserDirectoryService');
    const caller = await directory.asCaller(unique('newcomer-') + '@lab.org');
    await Promise.all(Array.from({length: 20}, () => directory.upsert(caller)));
    const users = await world.api.app.getRepository(UserRepository);
    expect(await users.count({email: caller.email})).to.deepEqual({count: 1});
  });
});
