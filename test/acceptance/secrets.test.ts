import {expect} from '@loopback/testlab';
import {TrashPurgeObserver} from '../../src/observers/trash-purge.observer';
import {SecretRepository} from '../../src/kinds/secret/secret.repository';
import {LoggerService} from '../../src/services/logger.service';
import {ApiWorld, PEOPLE, seedSharedResources, unique} from '../fixtures/api-world';
import {databaseText} from '../fixtures/test-app';
import {VaultKvDouble} from '../fixtures/vault-kv-double';

const NEEDLE = 'needle-value-that-must-never-leak-7f3a';

describe('Secrets, with Vault (the KV v2 test double) as the store', () => {
  let vault: VaultKvDouble;
  let world: ApiWorld;
  const logged: string[] = [];

  before(async () => {
    vault = await VaultKvDouble.start();
    world = await ApiWorld.start({VAULT_ADDR: vault.address, VAULT_TOKEN: vault.rootToken, VAULT_TIMEOUT_MS: '2000', LOG_LEVEL: 'debug'});
    (await world.api.app.get<LoggerService>('services.LoggerService')).useSink(line => logged.push(line));
  });

  after(async () => {
    await world?.stop();
    await vault?.stop();
  });

  const storedPaths = () => [...vault.kv.keys()];
  const dbText = () => databaseText(world.api);

  it('stores an env_var secret: metadata in the database, the value only in Vault, and the value back for readers', async () => {
    const owner = await world.as('owner');
    const created = await owner
      .post('/secrets')
      .send({secretName: 'Database', type: 'env_var', description: 'db login', value: {DB_PASSWORD: NEEDLE, DB_USER: 'lab'}})
      .expect(200);
    expect(created.body).to.containDeep({
      secretName: 'Database',
      type: 'env_var',
      owner: PEOPLE.owner,
      engine: 'vault',
      secret_path: `secret/notebooks-hub/${created.body._id}`,
    });
    expect(created.body).to.not.have.property('value');
    expect(created.body).to.not.have.property('state');
    expect(vault.kv.get(`notebooks-hub/${created.body._id}`)![0].data).to.deepEqual({DB_PASSWORD: NEEDLE, DB_USER: 'lab'});

    // A value no cache may keep.
    const read = await owner.get(`/secret/${created.body._id}`).expect(200).expect('Cache-Control', 'no-store');
    expect(read.body.value).to.deepEqual({DB_PASSWORD: NEEDLE, DB_USER: 'lab'});
    const listed = await owner.get('/secrets').expect(200);
    expect(JSON.stringify(listed.body)).to.not.containEql(NEEDLE);
    expect(listed.body.map((s: {_id: string}) => s._id)).to.containEql(created.body._id);
    await (await world.as('stranger')).get(`/secret/${created.body._id}`).expect(404);
  });

  it('stores a raw secret with its mount path, and PATCH writes a new version', async () => {
    const owner = await world.as('owner');
    const created = await owner
      .post('/secrets')
      .send({secretName: 'Key file', type: 'raw', mount_path: 'ssh/id_ed25519', value: `-----BEGIN KEY-----\n${NEEDLE}\n`})
      .expect(200);
    await owner.patch(`/secret/${created.body._id}`).send({value: 'rotated', description: 'rotated key'}).expect(200);
    const read = await owner.get(`/secret/${created.body._id}`).expect(200);
    expect(read.body).to.containDeep({value: 'rotated', description: 'rotated key', mount_path: 'ssh/id_ed25519'});
    expect(vault.kv.get(`notebooks-hub/${created.body._id}`)).to.have.length(2);
    await owner.delete(`/secret/${created.body._id}`).expect(204);
    expect(storedPaths()).to.not.containEql(`notebooks-hub/${created.body._id}`);
    await owner.get(`/secret/${created.body._id}`).expect(404);
  });

  for (const [label, body] of [
    ['an invalid variable name', {secretName: 's', type: 'env_var', value: {'BAD-NAME': 'x'}}],
    ['a string for env_var', {secretName: 's', type: 'env_var', value: 'A=b'}],
    ['an object for raw', {secretName: 's', type: 'raw', value: {content: 'x'}}],
    ['no variables', {secretName: 's', type: 'env_var', value: {}}],
    ['an absolute mount path', {secretName: 's', type: 'raw', mount_path: '/home/x', value: 'x'}],
    ['.. in the mount path', {secretName: 's', type: 'raw', mount_path: 'home/../etc/passwd', value: 'x'}],
    ['a value over SECRET_MAX_BYTES', {secretName: 's', type: 'raw', value: 'x'.repeat(70000)}],
    ['an unknown type', {secretName: 's', type: 'certificate', value: 'x'}],
    ['no value', {secretName: 's', type: 'raw'}],
  ] as const) {
    it(`refuses ${label} with 400, storing nothing`, async () => {
      const before = storedPaths().length;
      const res = await (await world.as('owner')).post('/secrets').send(body).expect(400);
      expect(JSON.stringify(res.body)).to.not.containEql('x'.repeat(100));
      expect(storedPaths()).to.have.length(before);
    });
  }

  describe('what a server must not get: variables that decide what runs, files outside ~/.secrets', () => {
    const ids = async () => ((await (await world.as('owner')).get('/secrets').expect(200)).body as Array<{_id: string}>).map(s => s._id).sort();
    /** The metadata list and the store's versions, to hold equal across a refusal. */
    const snapshot = async () => ({listed: await ids(), stored: [...vault.kv].map(([key, versions]) => `${key}#${versions.length}`).sort()});
    const fields = (res: {body: {error: {details?: Array<{path: string}>}}}) => (res.body.error.details ?? []).map(d => d.path);

    for (const name of ['BASH_ENV', 'LD_PRELOAD', 'PYTHONSTARTUP', 'JUPYTERHUB_API_TOKEN', 'NODE_OPTIONS']) {
      it(`refuses a ${name} variable with 400 naming it, at create and at update, changing nothing`, async () => {
        const owner = await world.as('owner');
        const existing = await owner.post('/secrets').send({secretName: unique('env-'), type: 'env_var', value: {API_KEY: 'kept'}}).expect(200);
        const before = await snapshot();
        const created = await owner.post('/secrets').send({secretName: unique('bad-'), type: 'env_var', value: {API_KEY: 'x', [name]: 'x'}}).expect(400);
        expect(created.body.error.code).to.equal('validation_failed');
        expect(created.body.error.message).to.containEql(name);
        expect(fields(created)).to.deepEqual([`/value/${name}`]);
        const updated = await owner.patch(`/secret/${existing.body._id}`).send({value: {[name]: 'x'}, description: 'changed'}).expect(400);
        expect(updated.body.error.message).to.containEql(name);
        expect(fields(updated)).to.deepEqual([`/value/${name}`]);
        expect(await snapshot()).to.deepEqual(before);
        expect((await owner.get(`/secret/${existing.body._id}`).expect(200)).body).to.containDeep({value: {API_KEY: 'kept'}});
        expect((await owner.get(`/secret/${existing.body._id}`).expect(200)).body.description).to.be.undefined();
      });
    }

    it('refuses a name that is no shell identifier, naming it, and takes an ordinary one', async () => {
      const owner = await world.as('owner');
      const before = await snapshot();
      const res = await owner.post('/secrets').send({secretName: unique('dash-'), type: 'env_var', value: {'MY-TOKEN': 'x'}}).expect(400);
      expect(res.body.error.message).to.containEql('MY-TOKEN');
      expect(fields(res)).to.deepEqual(['/value/MY-TOKEN']);
      expect(await snapshot()).to.deepEqual(before);
      await owner.post('/secrets').send({secretName: unique('aws-'), type: 'env_var', value: {AWS_ACCESS_KEY_ID: 'x', _private: 'y'}}).expect(200);
    });

    for (const mountPath of ['/home/bob/.aws/credentials', '~/.aws/credentials', '../x', 'a/../b', './x', 'a/./b', 'a//b', 'a/b/', 'has space', '..']) {
      it(`refuses the mount path ${JSON.stringify(mountPath)} with 400 naming mount_path, at create and at update`, async () => {
        const owner = await world.as('owner');
        const existing = await owner.post('/secrets').send({secretName: unique('raw-'), type: 'raw', mount_path: 'aws/credentials', value: 'x'}).expect(200);
        const before = await snapshot();
        const created = await owner.post('/secrets').send({secretName: unique('bad-'), type: 'raw', mount_path: mountPath, value: 'x'}).expect(400);
        expect(fields(created)).to.deepEqual(['/mount_path']);
        const updated = await owner.patch(`/secret/${existing.body._id}`).send({mount_path: mountPath}).expect(400);
        expect(fields(updated)).to.deepEqual(['/mount_path']);
        expect(await snapshot()).to.deepEqual(before);
        expect((await owner.get(`/secret/${existing.body._id}`).expect(200)).body.mount_path).to.equal('aws/credentials');
      });
    }

    it('takes a mount path relative to ~/.secrets, and refuses one on an env_var secret', async () => {
      const owner = await world.as('owner');
      const raw = await owner.post('/secrets').send({secretName: unique('raw-'), type: 'raw', mount_path: 'aws/credentials', value: 'x'}).expect(200);
      expect(raw.body.mount_path).to.equal('aws/credentials');
      await owner.patch(`/secret/${raw.body._id}`).send({mount_path: '.config/gcloud/key.json'}).expect(200);
      const env = await owner.post('/secrets').send({secretName: unique('env-'), type: 'env_var', value: {A: 'x'}}).expect(200);
      const before = await snapshot();
      const created = await owner.post('/secrets').send({secretName: unique('bad-'), type: 'env_var', mount_path: 'aws/credentials', value: {A: 'x'}}).expect(400);
      expect(fields(created)).to.deepEqual(['/mount_path']);
      const updated = await owner.patch(`/secret/${env.body._id}`).send({mount_path: 'aws/credentials'}).expect(400);
      expect(updated.body.error.message).to.match(/only raw secrets have a mount_path/);
      expect(await snapshot()).to.deepEqual(before);
    });

    it('still lists and answers a secret stored with an absolute mount path, and lets its other fields change', async () => {
      const secrets = await world.api.app.getRepository(SecretRepository);
      const old = await secrets.create({
        secretName: unique('old-'),
        type: 'raw',
        mount_path: '/home/jovyan/.ssh/id_rsa',
        owner: PEOPLE.owner,
        engine: 'vault',
        secret_path: 'secret/notebooks-hub/old',
        state: 'ready',
        createdAt: new Date(),
      });
      vault.kv.set(`notebooks-hub/${old._id}`, [{data: {content: 'old'}, created_time: new Date().toISOString()}]);
      const owner = await world.as('owner');
      expect(await ids()).to.containEql(old._id);
      expect((await owner.get(`/secret/${old._id}`).expect(200)).body).to.containDeep({mount_path: '/home/jovyan/.ssh/id_rsa', value: 'old'});
      const changed = await owner.patch(`/secret/${old._id}`).send({description: 'still here'}).expect(200);
      expect(changed.body).to.containDeep({mount_path: '/home/jovyan/.ssh/id_rsa', description: 'still here'});
    });
  });

  it('lets group members read a shared secret\'s value until it is revoked', async () => {
    const owner = await world.as('owner');
    const {groupId} = await seedSharedResources(world);
    const secret = await owner.post('/secrets').send({secretName: 'Shared', type: 'env_var', value: {TOKEN: NEEDLE}}).expect(200);
    const member = await world.as('group');
    await member.get(`/secret/${secret.body._id}`).expect(404);
    await owner.post(`/secret/share/${secret.body._id}`).send({relation: 'read', groupArray: [groupId]}).expect(200);
    expect((await member.get(`/secret/${secret.body._id}`).expect(200)).body.value).to.deepEqual({TOKEN: NEEDLE});
    await member.patch(`/secret/${secret.body._id}`).send({value: {TOKEN: 'mine'}}).expect(403);
    await owner.post(`/secret/${secret.body._id}/revoke`).send({relation: 'read', groupArray: [groupId]}).expect(200);
    await member.get(`/secret/${secret.body._id}`).expect(404);
  });

  it('answers 503 while Vault is down, writes nothing, and /healthcheck names it', async () => {
    const owner = await world.as('owner');
    const existing = await owner.post('/secrets').send({secretName: 'Before', type: 'raw', value: 'x'}).expect(200);
    const before = (await owner.get('/secrets').expect(200)).body.length;
    vault.down = true;
    try {
      const res = await owner.post('/secrets').send({secretName: 'During', type: 'raw', value: NEEDLE}).expect(503);
      expect(res.body.error.message).to.match(/Vault is unreachable/);
      await owner.get(`/secret/${existing.body._id}`).expect(503);
      await owner.delete(`/secret/${existing.body._id}`).expect(503);
      const health = await (await world.as('admin')).get('/healthcheck').expect(503);
      expect(health.body.checks.secretStore.message).to.match(/Vault/);
    } finally {
      vault.down = false;
    }
    expect((await owner.get('/secrets').expect(200)).body).to.have.length(before);
    await owner.get(`/secret/${existing.body._id}`).expect(200);
    expect(await dbText()).to.not.containEql('During');
  });

  it('leaves no orphan when Vault dies between the metadata and the value write', async () => {
    const owner = await world.as('owner');
    const storedBefore = storedPaths();
    vault.dropNextWrite = true;
    await owner.post('/secrets').send({secretName: 'Interrupted', type: 'env_var', value: {A: NEEDLE}}).expect(503);
    expect(storedPaths()).to.deepEqual(storedBefore);
    const secrets = await world.api.app.getRepository(SecretRepository);
    expect(await secrets.find({where: {secretName: 'Interrupted'}})).to.deepEqual([]);
    const listed = await owner.get('/secrets').expect(200);
    expect(listed.body.map((s: {secretName: string}) => s.secretName)).to.not.containEql('Interrupted');
  });

  it('sweeps what a crash left half-written: metadata still pending, and its value', async () => {
    const secrets = await world.api.app.getRepository(SecretRepository);
    const abandoned = await secrets.create({
      secretName: 'Crashed',
      type: 'raw',
      owner: PEOPLE.owner,
      engine: 'vault',
      secret_path: 'secret/notebooks-hub/crashed',
      state: 'pending',
      createdAt: new Date(Date.now() - 60 * 60 * 1000),
    });
    vault.kv.set(`notebooks-hub/${abandoned._id}`, [{data: {content: 'x'}, created_time: new Date().toISOString()}]);
    await (await world.as('owner')).get(`/secret/${abandoned._id}`).expect(404);
    const purger = await world.api.app.get<TrashPurgeObserver>('lifeCycleObservers.TrashPurgeObserver');
    expect((await purger.purge()).secrets).to.equal(1);
    expect(await secrets.find({where: {_id: abandoned._id}})).to.deepEqual([]);
    expect(storedPaths()).to.not.containEql(`notebooks-hub/${abandoned._id}`);
  });

  it('never writes a value to the database or to a log line', async () => {
    expect(await dbText()).to.not.containEql(NEEDLE);
    expect(logged.length).to.be.greaterThan(10);
    expect(logged.filter(line => line.includes(NEEDLE))).to.deepEqual([]);
  });
});
