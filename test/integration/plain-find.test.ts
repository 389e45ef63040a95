import {expect} from '@loopback/testlab';
import {DefaultCrudRepository, Entity, Filter} from '@loopback/repository';
import {countPlain, findPlain, findPlainById} from '../../src/framework/plain-find';
import {DatasetRepository} from '../../src/kinds/dataset/dataset.repository';
import {GroupRepository} from '../../src/repositories/group.repository';
import {ModuleRepository} from '../../src/kinds/module/module.repository';
import {SecretRepository} from '../../src/kinds/secret/secret.repository';
import {ServerRepository} from '../../src/kinds/server/server.repository';
import {TemplateRepository} from '../../src/kinds/template/template.repository';
import {ApiWorld, PEOPLE, seedSharedResources, SharedResources} from '../fixtures/api-world';

/**
 * The fast path (plain rows from the connector) must answer exactly the JSON
 * the standard path (repository.find and toJSON) answers: same rows, order,
 * fields and values, for the filters the list endpoints use; and count as
 * repository.count counts.
 */
describe('findPlain answers what repository.find answers', () => {
  let world: ApiWorld;
  const seeded: SharedResources[] = [];

  before(async () => {
    world = await ApiWorld.start();
    for (let i = 0; i < 3; i++) seeded.push(await seedSharedResources(world));
    const owner = await world.as('owner');
    await owner.put(`/servers/${seeded[0].serverId}/stop`).expect(200);
    await owner.patch(`/datasets/${seeded[1].datasetId}`).send({description: 'changed later'}).expect(200);
  });

  after(async () => {
    await world?.stop();
  });

  async function same<T extends Entity>(repository: DefaultCrudRepository<T, string>, filters: Array<Filter<T>>) {
    for (const filter of filters) {
      const given = structuredClone(filter);
      const standard = JSON.stringify(await repository.find(structuredClone(filter)));
      const plain = JSON.stringify(await findPlain(repository, filter));
      expect(plain).to.equal(standard, JSON.stringify(given));
      const {count} = await repository.count(structuredClone(filter.where));
      expect(await countPlain(repository, filter.where)).to.equal(count, JSON.stringify(given));
      expect(filter).to.deepEqual(given);
      expect(JSON.parse(plain)).to.not.be.empty();
    }
  }

  const common = (ids: string[]): Array<Filter<{_id?: string; owner?: string}>> => [
    {},
    {order: ['_id DESC']},
    {where: {owner: PEOPLE.owner}},
    {where: {_id: {inq: ids}}},
    {where: {or: [{owner: PEOPLE.owner}, {_id: {inq: ids.slice(0, 1)}}]}},
    {where: {_id: {inq: ids}}, order: ['_id ASC'], skip: 1, limit: 1},
    {fields: {_id: true, owner: true}},
  ];

  it('for datasets, trashed ones included or not', async () => {
    const repository = await world.api.app.getRepository(DatasetRepository);
    const ids = seeded.map(s => s.datasetId);
    await same(repository, [
      ...(common(ids) as never[]),
      {where: {deletedAt: null}} as never,
      {where: {and: [{owner: PEOPLE.owner}, {deletedAt: null}]}, order: ['name ASC', '_id ASC']} as never,
    ]);
  });

  it('for modules, templates and groups', async () => {
    await same(await world.api.app.getRepository(ModuleRepository), common(seeded.map(s => s.moduleId)) as never);
    await same(await world.api.app.getRepository(TemplateRepository), [
      {where: {creator: PEOPLE.owner}, order: ['timestamp DESC', '_id ASC']},
      {where: {_id: {inq: seeded.map(s => s.templateId)}}},
    ]);
    await same(await world.api.app.getRepository(GroupRepository), common(seeded.map(s => s.groupId)) as never);
  });

  it('for servers, statuses and changed fields included', async () => {
    const repository = await world.api.app.getRepository(ServerRepository);
    await same(repository, [
      ...(common(seeded.map(s => s.serverId)) as never[]),
      {where: {status: {inq: ['stopped', 'running']}}, order: ['createdAt ASC', '_id ASC']},
      // Values of another type than their property's are coerced, as repository.find coerces them.
      {where: {createdAt: {gt: '2020-01-01T00:00:00.000Z'}}},
      {where: {and: [{owner: PEOPLE.owner}, {createdAt: {lt: new Date(Date.now() + 60_000).toISOString()}}]}},
    ] as never[]);
  });

  it('for secrets, with their hidden state left out', async () => {
    const repository = await world.api.app.getRepository(SecretRepository);
    await same(repository, [...(common(seeded.map(s => s.secretId)) as never[]), {where: {state: 'ready'}}]);
    const [plain] = await findPlain(repository, {where: {_id: seeded[0].secretId}});
    expect(plain).to.not.have.property('state');
  });

  it('by id, as findById answers, and not found as findById fails', async () => {
    const servers = await world.api.app.getRepository(ServerRepository);
    const datasets = await world.api.app.getRepository(DatasetRepository);
    for (const {serverId, datasetId} of seeded) {
      expect(JSON.stringify(await findPlainById(servers, serverId))).to.equal(JSON.stringify(await servers.findById(serverId)));
      expect(JSON.stringify(await findPlainById(datasets, datasetId))).to.equal(JSON.stringify(await datasets.findById(datasetId)));
    }
    const missing = await findPlainById(servers, 'no-such-server').catch((err: {code?: string}) => err.code);
    expect(missing).to.equal('ENTITY_NOT_FOUND');
    const secrets = await world.api.app.getRepository(SecretRepository);
    const [withState] = await findPlain(secrets, {where: {_id: seeded[0].secretId}}, {withHidden: true});
    expect(withState).to.have.property('state', 'ready');
  });
});
