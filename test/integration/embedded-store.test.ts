import {expect} from '@loopback/testlab';
import {spawnSync} from 'node:child_process';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {DbDataSource} from '../../src/datasources/db.datasource';
import {GroupRepository} from '../../src/repositories/group.repository';
import {UserRepository} from '../../src/repositories/user.repository';
import {RunningApp, startApp} from '../fixtures/test-app';

describe('The embedded store (memory connector persisted to DATA_DIR/db.json)', () => {
  let api: RunningApp | undefined;

  afterEach(async () => {
    await api?.stop();
    api = undefined;
  });

  const repositoryOf = (running: RunningApp) =>
    running.app.getRepository(UserRepository);
  const aUser = (email: string) => ({
    email,
    username: email,
    organisation: email.split('@')[1],
    firstSeen: new Date('2026-01-01T00:00:00Z'),
    lastSeen: new Date('2026-01-02T00:00:00Z'),
  });

  it('keeps data written through a repository across a restart of the service', async () => {
    api = await startApp();
    const users = await repositoryOf(api);
    const created = await users.create(aUser('erin@example.org'));
    expect(created._id).to.be.a.String();
    const {dataDir} = api;
    await api.stop();

    api = await startApp({DATA_DIR: dataDir});
    const found = await (await repositoryOf(api)).findById(created._id);
    expect(found.toJSON()).to.deepEqual(created.toJSON());
  });

  it('exposes _id as a string and finds by it', async () => {
    api = await startApp();
    const users = await repositoryOf(api);
    const created = await users.create(aUser('frank@example.org'));
    expect(typeof created._id).to.equal('string');
    expect((await users.find({where: {_id: created._id}})).map(u => u.email)).to.deepEqual(['frank@example.org']);
  });

  it('writes the data file atomically: a complete JSON snapshot and no temporary file left behind', async () => {
    api = await startApp();
    const users = await repositoryOf(api);
    await Promise.all(
      Array.from({length: 50}, (_, i) => users.create(aUser(`user${i}@example.org`))),
    );
    // The API writes on its own too (the trash purge's lease at start): stopping waits for every write.
    const {dataDir} = api;
    await api.stop();
    api = undefined;
    const files = await fs.readdir(dataDir);
    expect(files.filter(f => f.endsWith('.tmp'))).to.be.empty();
    const snapshot = JSON.parse(await fs.readFile(path.join(dataDir, 'db.json'), 'utf8'));
    expect(Object.keys(snapshot.models.User)).to.have.length(50);
  });

  it('refuses to start on a corrupt data file rather than starting empty', async () => {
    api = await startApp();
    const {dataDir} = api;
    await api.stop();
    api = undefined;
    await fs.writeFile(path.join(dataDir, 'db.json'), '{"ids": {');
    await expect(startApp({DATA_DIR: dataDir})).to.be.rejectedWith(/not valid JSON/);
  });

  it('records a user on sign-in', async () => {
    const {signIn} = await import('../fixtures/sign-in.js');
    api = await startApp();
    await signIn(api.url, 'dave@partner.org');
    const stored = await (await repositoryOf(api)).findOne({where: {email: 'dave@partner.org'}});
    expect(stored).to.containDeep({username: 'dave@partner.org', organisation: 'partner.org', name: 'Dave Partner'});
  });

  it('undoes a change it could not save: the write fails with 503 naming DATA_DIR, reads and later writes never see it', async () => {
    api = await startApp();
    const users = await repositoryOf(api);
    await users.create(aUser('kept@example.org'));
    // As root no permission stops a write; a folder where the snapshot is renamed to does.
    const file = path.join(api.dataDir, 'db.json');
    await fs.rename(file, `${file}.aside`);
    await fs.mkdir(file);
    const failed = await users.create(aUser('lost@example.org')).then(
      () => undefined,
      err => err as {statusCode?: number; message: string},
    );
    expect(failed?.statusCode).to.equal(503);
    expect(failed?.message).to.match(/Storage unavailable: the API's database in DATA_DIR could not be saved/);
    expect((await users.find()).map(u => u.email)).to.deepEqual(['kept@example.org']);
    await fs.rmdir(file);
    await fs.rename(`${file}.aside`, file);
    await users.create(aUser('later@example.org'));
    const saved = JSON.parse(await fs.readFile(file, 'utf8'));
    const emails = Object.values(saved.models.User as Record<string, string>).map(row => JSON.parse(row).email);
    expect(emails.sort()).to.deepEqual(['kept@example.org', 'later@example.org']);
    expect((await fs.readdir(api.dataDir)).filter(name => name.endsWith('.tmp'))).to.deepEqual([]);
  });

  it('undoes every change it could not save, updates and deletes too, and those made while the snapshot was written', async () => {
    api = await startApp();
    const users = await repositoryOf(api);
    const kept = await users.create(aUser('kept@example.org'));
    const removed = await users.create(aUser('removed@example.org'));
    const file = path.join(api.dataDir, 'db.json');
    const before = await fs.readFile(file, 'utf8');
    await fs.rename(file, `${file}.aside`);
    await fs.mkdir(file);
    // Sent at once: the first snapshot is being written while the others change rows.
    const outcomes = await Promise.allSettled([
      users.updateById(kept._id, {username: 'renamed'}),
      users.deleteById(removed._id),
      users.create(aUser('lost@example.org')),
      users.updateAll({lastSeen: new Date('2027-01-01T00:00:00Z')}, {email: 'kept@example.org'}),
    ]);
    expect(outcomes.map(outcome => outcome.status)).to.deepEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    await fs.rmdir(file);
    await fs.rename(`${file}.aside`, file);
    const rows = (await users.find({order: ['email ASC']})).map(user => user.toJSON());
    expect(rows).to.deepEqual([kept.toJSON(), removed.toJSON()]);
    expect(await users.count({username: 'renamed'})).to.deepEqual({count: 0});
    expect(await fs.readFile(file, 'utf8')).to.equal(before);
    // A later write saves the store as it was, and itself.
    await users.create(aUser('later@example.org'));
    expect((await users.find({order: ['email ASC']})).map(user => user.email)).to.deepEqual(['kept@example.org', 'later@example.org', 'removed@example.org']);
  });

  it('closes only once the writes still queued are on disk, then releases DATA_DIR and refuses later writes with 503', async () => {
    api = await startApp();
    const users = await repositoryOf(api);
    const dataSource = await api.app.get<DbDataSource>('datasources.db');
    const creates = Array.from({length: 20}, (_, i) => users.create(aUser(`queued${i}@example.org`)));
    // The creates have changed memory and queued their snapshot; the store closes before it is written.
    await new Promise(resolve => setImmediate(resolve));
    await dataSource.stop();
    const saved = JSON.parse(await fs.readFile(path.join(api.dataDir, 'db.json'), 'utf8'));
    expect(Object.keys(saved.models.User)).to.have.length(20);
    await expect(fs.access(path.join(api.dataDir, 'db.json.lock'))).to.be.rejected();
    await Promise.all(creates);
    const late = await users.create(aUser('late@example.org')).then(
      () => undefined,
      err => err as {statusCode?: number; message: string},
    );
    expect(late?.statusCode).to.equal(503);
    expect(late?.message).to.match(/stopping/);
  });

  it('refuses a second process on the same DATA_DIR, and takes over the lock of one that is gone', async () => {
    api = await startApp();
    const {dataDir} = api;
    await expect(startApp({DATA_DIR: dataDir})).to.be.rejectedWith(/DATA_DIR is in use by another API process/);
    await api.stop();
    api = undefined;
    await expect(fs.access(path.join(dataDir, 'db.json.lock'))).to.be.rejected();

    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {encoding: 'utf8'});
    await fs.writeFile(path.join(dataDir, 'db.json.lock'), gone.stdout);
    api = await startApp({DATA_DIR: dataDir});
    expect(await fs.readFile(path.join(dataDir, 'db.json.lock'), 'utf8')).to.equal(String(process.pid));
  });

  it('keys the names of groups stored before names had a key at start, so the store holds them; a legacy duplicate keeps its own key', async () => {
    api = await startApp();
    await (await repositoryOf(api)).create(aUser('ann@example.org'));
    const {dataDir} = api;
    await api.stop();
    const file = path.join(dataDir, 'db.json');
    const snapshot = JSON.parse(await fs.readFile(file, 'utf8'));
    const group = (_id: string, name: string, owner: string) =>
      JSON.stringify({_id, name, owner, members: [owner], createdAt: '2025-01-01T00:00:00.000Z'});
    snapshot.models.Group = {
      g1: group('g1', 'Lab', 'ann@example.org'),
      g2: group('g2', 'LAB', 'ann@example.org'),
      g3: group('g3', 'Lab', 'bob@example.org'),
    };
    await fs.writeFile(file, JSON.stringify(snapshot));

    api = await startApp({DATA_DIR: dataDir});
    const groups = await api.app.getRepository(GroupRepository);
    const keys = (await groups.findPlain({order: ['_id ASC']}, {withHidden: true})).map(g => g.nameKey);
    expect(keys).to.deepEqual(['lab', 'lab\u0000g2', 'lab']);
    await expect(groups.create({name: 'lab', nameKey: 'lab', owner: 'ann@example.org', members: []})).to.be.rejectedWith({statusCode: 409});
  });
});
