import {Context} from '@loopback/core';
import {juggler} from '@loopback/repository';
import {securityId} from '@loopback/security';
import {expect} from '@loopback/testlab';
import type {DbDataSource} from '../../src/datasources/db.datasource';
import {RESOURCE_DESCRIPTORS} from '../../src/kinds';
import type {AuthorizedResource} from '../../src/types/resource-access';
import {ResourceBindings} from '../../src/keys';
import {DatasetRepository} from '../../src/kinds/dataset/dataset.repository';
import {GrantRepository} from '../../src/repositories/grant.repository';
import {GroupRepository} from '../../src/repositories/group.repository';
import {ModuleRepository} from '../../src/kinds/module/module.repository';
import {TemplateRepository} from '../../src/kinds/template/template.repository';
import {AccessService} from '../../src/services/access/access.service';
import {ResourceLookupService} from '../../src/services/access/resource-lookup.service';
import {ResourceRegistryService} from '../../src/services/access/resource-registry.service';
import type {Caller} from '../../src/services/identity/identity.service';

const caller = (email: string, extra: Partial<Caller> = {}): Caller => ({
  [securityId]: email,
  email,
  username: email,
  organisation: email.split('@')[1],
  admin: false,
  ...extra,
});

/** AccessService on the registry's descriptors and LoopBack's plain memory connector: no app, no hub. */
describe('AccessService and the resource registry', () => {
  let access: AccessService;
  let registry: ResourceRegistryService;
  let grants: GrantRepository;
  let datasets: DatasetRepository;
  let modules: ModuleRepository;
  let templates: TemplateRepository;
  let lookup: ResourceLookupService;
  let db: DbDataSource;

  beforeEach(() => {
    db = new juggler.DataSource({name: 'db', connector: 'memory'}) as DbDataSource;
    const context = new Context();
    for (const descriptor of RESOURCE_DESCRIPTORS) {
      context.bind(ResourceBindings.descriptorKey(descriptor.kind)).to(descriptor).tag(ResourceBindings.DESCRIPTOR_TAG);
    }
    grants = new GrantRepository(db);
    datasets = new DatasetRepository(db);
    modules = new ModuleRepository(db);
    templates = new TemplateRepository(db);
    context.bind('repositories.DatasetRepository').to(datasets);
    context.bind('repositories.ModuleRepository').to(modules);
    context.bind('repositories.TemplateRepository').to(templates);
    registry = new ResourceRegistryService(context);
    lookup = new ResourceLookupService(context, registry);
    access = new AccessService(grants, new GroupRepository(db), registry, lookup);
  });

  /** The template as the authorizer hands it to a handler: read once, with the caller's level. */
  async function authorizedTemplate(c: Caller, id: string): Promise<AuthorizedResource> {
    const found = (await lookup.find('template', id))!;
    return {kind: 'template', id, level: await access.levelOf(c, 'template', found.subject), ...found};
  }

  it('answers every registered kind\'s descriptor, and refuses a kind nobody registered', async () => {
    expect((await registry.descriptor('template')).ownerField).to.equal('creator');
    expect((await registry.descriptor('module')).readableByAllFlag).to.equal('featured');
    await expect(registry.descriptor('notebook' as never)).to.be.rejectedWith(/No descriptor is registered for the resource kind notebook/);
  });

  it('gives owners and admins owner, grantees their relation (organisations whatever their case), others none', async () => {
    const dataset = await datasets.create({name: 'Data', owner: 'ann@lab.org', write_access: false});
    await grants.create({resourceType: 'dataset', resourceId: dataset._id!, relation: 'write', entityType: 'org', entity: 'partner.org'});
    const level = (c: Caller) => access.levelOf(c, 'dataset', {...dataset, owner: dataset.owner});
    expect(await level(caller('ann@lab.org'))).to.equal('owner');
    expect(await level(caller('root@ops.org', {admin: true}))).to.equal('owner');
    expect(await level(caller('bo@partner.org', {organisation: 'Partner.ORG'}))).to.equal('write');
    expect(await level(caller('eve@elsewhere.org'))).to.equal('none');
  });

  it('lets everyone read a featured module and only its owner and admins change it, whatever the grants', async () => {
    const module = await modules.create({name: 'tool', version: '1', owner: 'admin@ops.org', featured: true, write_access: false, luaModuleFile: []});
    await grants.create({resourceType: 'module', resourceId: module._id!, relation: 'write', entityType: 'user', entity: 'w@lab.org'});
    expect(await access.levelOf(caller('w@lab.org'), 'module', module)).to.equal('read');
    expect(await access.levelOf(caller('any@where.org'), 'module', module)).to.equal('read');
  });

  it('refuses a writer who widens access or curates, and lets a field sent unchanged through', async () => {
    const template = await templates.create({
      name: 'T', description: 'd', applicationType: 'Notebook', hardware: 'small', type: 'custom', public: false, creator: 'ann@lab.org',
    });
    await grants.create({resourceType: 'template', resourceId: template._id!, relation: 'write', entityType: 'user', entity: 'w@lab.org'});
    const writer = caller('w@lab.org');
    await expect(access.assertMayChange(writer, await authorizedTemplate(writer, template._id!), {public: true})).to.be.rejectedWith(/needs its owner or an administrator/);
    await expect(access.assertMayChange(writer, await authorizedTemplate(writer, template._id!), {type: 'featured'})).to.be.rejectedWith(/needs an administrator/);
    await access.assertMayChange(writer, await authorizedTemplate(writer, template._id!), {public: false, description: 'changed'});
    await access.assertMayChange(caller('ann@lab.org'), await authorizedTemplate(caller('ann@lab.org'), template._id!), {public: true});
    await expect(access.assertMayChange(caller('ann@lab.org'), await authorizedTemplate(caller('ann@lab.org'), template._id!), {type: 'featured'})).to.be.rejectedWith(/administrator/);
    await access.assertMayChange(caller('root@ops.org', {admin: true}), await authorizedTemplate(caller('root@ops.org', {admin: true}), template._id!), {type: 'featured'});
  });

  it('tells which of many ids of several kinds a caller may read in a fixed number of queries: owned, granted, readable by all, live', async () => {
    const bo = caller('bo@partner.org');
    const own = await datasets.create({name: 'Own', owner: 'bo@partner.org', write_access: false});
    const granted = await datasets.create({name: 'Granted', owner: 'ann@lab.org', write_access: false});
    const byOrg = await datasets.create({name: 'By org', owner: 'ann@lab.org', write_access: false});
    const hidden = await datasets.create({name: 'Hidden', owner: 'ann@lab.org', write_access: false});
    const trashed = await datasets.create({name: 'Trashed', owner: 'bo@partner.org', write_access: false, deletedAt: new Date()});
    await grants.create({resourceType: 'dataset', resourceId: granted._id!, relation: 'read', entityType: 'user', entity: 'bo@partner.org'});
    await grants.create({resourceType: 'dataset', resourceId: byOrg._id!, relation: 'read', entityType: 'org', entity: 'partner.org'});
    const featured = await modules.create({name: 'tool', version: '1', owner: 'admin@ops.org', featured: true, write_access: false, luaModuleFile: []});
    const mine = await modules.create({name: 'tool', version: '2', owner: 'ann@lab.org', write_access: false, luaModuleFile: []});
    const connector = db.connector as unknown as {all: (...args: unknown[]) => unknown};
    const all = connector.all;
    let queries = 0;
    connector.all = function (this: unknown, ...args: unknown[]) {
      queries++;
      return all.apply(this, args);
    };
    const datasetIds = [own, granted, byOrg, hidden, trashed].map(d => d._id!);
    const readable = await access.readableAmong(bo, {dataset: [...datasetIds, 'missing'], module: [featured._id!, mine._id!], secret: []});
    // The caller's groups, their grants, then one query per kind asked about.
    expect(queries).to.equal(4);
    expect([...readable.get('dataset')!].sort()).to.deepEqual([own, granted, byOrg].map(d => d._id!).sort());
    expect([...readable.get('module')!]).to.deepEqual([featured._id]);
    expect(readable.has('secret')).to.be.false();

    queries = 0;
    const admin = await access.readableAmong(caller('root@ops.org', {admin: true}), {dataset: datasetIds, module: [mine._id!]});
    connector.all = all;
    expect(queries).to.equal(2);
    expect([...admin.get('dataset')!].sort()).to.deepEqual([own, granted, byOrg, hidden].map(d => d._id!).sort());
    expect([...admin.get('module')!]).to.deepEqual([mine._id]);
  });

  it('builds a readable filter from the descriptor: owner field, grants and the readable-by-all flag', async () => {
    const where = await access.readableWhere(caller('ann@lab.org'), 'template');
    expect(where).to.deepEqual({or: [{creator: 'ann@lab.org'}, {public: true}]});
  });
});
