import {expect} from '@loopback/testlab';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {ApiWorld, PEOPLE, TEMPLATE_BODY} from '../fixtures/api-world';
import {eventually} from '../fixtures/eventually';
import {HeadlessBrowser} from '../fixtures/headless-browser';
import {forSuite} from '../fixtures/for-suite';
import {HubWorld} from '../fixtures/hub-world';
import {JupyterHubHarness} from '../fixtures/jupyterhub-harness';
import {runInKernel} from '../fixtures/server-kernel';

interface HubServerModel {
  ready: boolean;
  pending: string | null;
  user_options?: Record<string, unknown>;
}

/**
 * The hub starts only what the API decided, and a person's server runs as
 * that person, away from everyone else's data: tried on a real hub with the
 * repository's spawner, as an attacker with a shell and a hub token would.
 */
describe("One authority over every server (real hub, the repository's spawner)", () => {
  let hub: JupyterHubHarness;
  let world: ApiWorld;
  let privateDataset: string;
  let readOnlyDataset: string;
  let privateModule: string;

  forSuite(() => HubWorld.start({HUB_RECONCILE_INTERVAL: '3600'}), started => ({hub, world} = started));

  before(async () => {
    const owner = await world.as('owner');
    privateDataset = (await owner.post('/datasets').send({name: 'Owner private', write_access: true}).expect(200)).body._id;
    await owner.post('/volume/file').send({type: 'file', root: privateDataset, name: 'secret.txt', content: 'owner only'}).expect(200);
    readOnlyDataset = (await owner.post('/datasets').send({name: 'Shared to read', write_access: true}).expect(200)).body._id;
    await owner
      .post(`/datasets/${readOnlyDataset}/share`)
      .send({relation: 'read', userArray: [PEOPLE.direct]})
      .expect(200);
    privateModule = (await owner.post('/modules').send({name: 'owner-tool', version: '1.0', luaModuleFile: []}).expect(200)).body._id;
  });

  async function startServer(person: 'owner' | 'direct', name: string, extra: object = {}): Promise<{_id: string; name: string}> {
    const client = await world.as(person);
    const server = (
      await client
        .post('/servers')
        .send({...TEMPLATE_BODY, name, ...extra})
        .expect(200)
    ).body;
    await eventually(
      `${name} running`,
      async () => {
        const current = (await client.get(`/servers/${server._id}`).expect(200)).body;
        if (current.status === 'stopped') throw new Error(`The spawn failed: ${current.lastError}\n${hub.logs.slice(-3000)}`);
        return current.status === 'running';
      },
      60000,
    );
    return server;
  }

  async function hubServer(user: string, name: string): Promise<HubServerModel | undefined> {
    const {body} = await hub.api<{servers: Record<string, HubServerModel>}>('GET', `/users/${encodeURIComponent(user)}`);
    return body.servers?.[name];
  }

  /** A spawn asked of the hub directly, with the given token: the hub's answer, then whether anything came up. */
  async function spawnAtHub(token: string, user: string, name: string, userOptions: object): Promise<number> {
    const res = await fetch(`${hub.apiUrl}/users/${encodeURIComponent(user)}/servers/${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: {Authorization: `token ${token}`, 'Content-Type': 'application/json'},
      body: JSON.stringify(userOptions),
    });
    await res.text();
    return res.status;
  }

  async function expectNothingStarted(user: string, name: string): Promise<void> {
    await eventually(`${name} settled`, async () => !(await hubServer(user, name))?.pending);
    const server = await hubServer(user, name);
    expect(server?.ready ?? false).to.be.false();
  }

  async function personsHubToken(user: string): Promise<string> {
    await hub.api('POST', `/users/${encodeURIComponent(user)}`);
    const {status, body} = await hub.api<{token: string}>('POST', `/users/${encodeURIComponent(user)}/tokens`, {note: 'their own'});
    expect(status).to.equal(201);
    return body.token;
  }

  it("hand-made user_options naming another's dataset and module get no server, with a person's own hub token, through the hub's spawn page, or even as the hub's admin", async () => {
    const bob = PEOPLE.direct;
    const handMade = {
      applicationType: 'Notebook',
      hardware: 'small',
      datasets: [
        {id: privateDataset, name: 'stolen', write_access: true},
        {id: readOnlyDataset, name: 'shared', write_access: true},
      ],
      modules: [
        {
          id: privateModule,
          owner: PEOPLE.owner,
          name: 'owner-tool',
          version: '1.0',
          module_path: `${PEOPLE.owner}/owner-tool`,
          write_access: false,
        },
      ],
      secrets: [],
    };
    // People have no scope to start servers at the hub.
    expect(await spawnAtHub(await personsHubToken(bob), bob, 'evil1', handMade)).to.equal(403);
    await expectNothingStarted(bob, 'evil1');

    // The spawn page, signed in at the hub as that person.
    const browser = new HeadlessBrowser();
    await hub.signInAs(browser, bob);
    const page = await browser.open(`${hub.publicUrl}/hub/spawn/${encodeURIComponent(bob)}/evil2`, {applicationType: 'Notebook'});
    expect(page.status).to.equal(403);
    await expectNothingStarted(bob, 'evil2');

    // Even a spawn the hub lets through (here: asked with the API's own service token) mounts nothing without a ticket.
    const status = await spawnAtHub(hub.token, bob, 'evil3', handMade);
    expect(status).to.be.oneOf([202, 400, 500]);
    await expectNothingStarted(bob, 'evil3');
    expect(hub.logs).to.match(/This server was not started by the Notebooks Hub API/);
    const owner = await world.as('owner');
    const listing = (await owner.get('/volume/files').query({root: privateDataset}).expect(200)).body;
    expect(JSON.stringify(listing)).to.not.match(/written|stolen/);
  });

  it("a replayed ticket and another person's ticket are refused, and the API counts the refusals", async () => {
    const bob = PEOPLE.direct;
    const server = await startServer('direct', 'Ticketed');
    const used = (await hubServer(bob, server.name))?.user_options;
    expect(Object.keys(used ?? {})).to.deepEqual(['launchTicket']);

    // Bob's used ticket, at another of his servers and at someone else's.
    await hub.api('POST', `/users/${encodeURIComponent(PEOPLE.owner)}`);
    expect(await spawnAtHub(hub.token, PEOPLE.owner, 'borrowed', used!)).to.be.oneOf([202, 400, 500]);
    await expectNothingStarted(PEOPLE.owner, 'borrowed');
    expect(await spawnAtHub(hub.token, bob, 'replayed', used!)).to.be.oneOf([202, 400, 500]);
    await expectNothingStarted(bob, 'replayed');

    // The same server restarted at the hub with its stored options: the ticket is spent.
    await (await world.as('direct')).put(`/servers/${server._id}/stop`).expect(200);
    await eventually('stopped at the hub', async () => !(await hubServer(bob, server.name))?.ready);
    expect(await spawnAtHub(hub.token, bob, server.name, used!)).to.be.oneOf([202, 400, 500]);
    await expectNothingStarted(bob, server.name);

    const metrics = await world.client.get('/metrics').expect(200);
    const refusals = [...metrics.text.matchAll(/^notebooks_hub_launch_refusals_total\{[^}]*\} (\d+)/gm)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
    expect(refusals).to.be.greaterThanOrEqual(3);
  });

  it("runs a person's code as their own account: no other home, no DATA_DIR, no hub files, no other server's environment, nothing writable outside the home", async () => {
    const secretValue = `carol-secret-${Date.now()}`;
    const owner = await world.as('owner');
    const secret = (
      await owner
        .post('/secrets')
        .send({secretName: 'Owner env', type: 'env_var', value: {OWNER_SECRET: secretValue}})
        .expect(200)
    ).body;
    await startServer('owner', 'Owner server', {secrets: [secret._id]});
    const bobServer = await startServer('direct', 'Bob probe');
    const bob = await world.as('direct');
    // The API (root here) writes into his home what he then owns.
    await bob.post('/volume/file').send({type: 'file', name: 'from-the-api.txt', content: 'written by the API'}).expect(200);
    // Where the machine has no writable cgroup hierarchy the record must say so; elsewhere the limit holds (below).
    const limitsEnforced = (await bob.get(`/servers/${bobServer._id}`).expect(200)).body.limitsEnforced;
    expect(limitsEnforced).to.be.oneOf([true, false]);

    const {dataDir} = world.api.app.config;
    const probe = `
import json, os, glob
seen = {'uid': os.getuid(), 'euid': os.geteuid(), 'gid': os.getgid()}
def readable(p):
    try:
        if os.path.isdir(p):
            os.listdir(p)
        else:
            open(p, 'rb').read(1)
        return True
    except OSError:
        return False
seen['readable'] = {p: readable(p) for p in ${JSON.stringify([
      path.join(hub.homesRoot, PEOPLE.owner),
      dataDir,
      path.join(dataDir, 'db.json'),
      path.join(dataDir, 'secrets.key'),
      path.join(hub.dir, 'api.json'),
      path.join(hub.dir, 'jupyterhub.sqlite'),
      hub.homesRoot,
      hub.datasetsRoot,
      path.join(hub.datasetsRoot, '__PRIVATE__'),
    ])}}
environs = {}
for status in glob.glob('/proc/[0-9]*/status'):
    try:
        uid = int([l for l in open(status) if l.startswith('Uid:')][0].split()[1])
    except (OSError, IndexError):
        continue
    if uid in (0, os.getuid()):
        continue
    pid = status.split('/')[2]
    try:
        environs[pid] = 'OWNER_SECRET' in open(f'/proc/{pid}/environ').read()
    except OSError:
        environs[pid] = 'closed'
seen['other_environs'] = environs
written = {}
for folder in ${JSON.stringify(['/tmp', '/var/tmp', '/dev/shm', '/etc', '/usr/local', hub.homesRoot, hub.modulesRoot, dataDir])}:
    target = os.path.join(folder, 'written-by-bob')
    try:
        with open(target, 'w') as f:
            f.write('x')
        written[folder] = 'written'
    except OSError as e:
        written[folder] = e.strerror
seen['written'] = written
mine = os.path.join(os.environ['HOME'], 'from-the-api.txt')
with open(mine, 'a') as f:
    f.write(' and by its owner')
seen['api_file'] = [os.stat(mine).st_uid, open(mine).read()]
import subprocess
# Past the 512M of the test hub's hardware: the kernel kills the allocation, not the server.
seen['big_allocation'] = subprocess.run(['python3', '-c', 'bytearray(900 * 1024 * 1024)']).returncode
print(json.dumps(seen))
`.replace('__PRIVATE__', privateDataset);
    const serverUrl = `${hub.publicUrl}/user/${PEOPLE.direct}/${bobServer.name}`;
    const seen = JSON.parse((await runInKernel(serverUrl, hub.token, probe)).trim());

    expect(seen.uid).to.not.equal(0);
    expect(seen.api_file).to.deepEqual([seen.uid, 'written by the API and by its owner']);
    if (limitsEnforced) expect(seen.big_allocation).to.equal(-9);
    else expect(seen.big_allocation).to.equal(0);
    expect(seen.euid).to.equal(seen.uid);
    expect(Object.entries(seen.readable).filter(([, yes]) => yes)).to.deepEqual([]);
    // The owner's server runs as another account; its environment (with the secret) stays closed.
    expect(Object.keys(seen.other_environs).length).to.be.greaterThan(0);
    expect(Object.values(seen.other_environs).every(v => v === 'closed')).to.be.true();
    // Writes outside the home fail (DATA_DIR, under /tmp here, is not even there: the server has a /tmp of its own),
    // but for the server's own private temporary folders, which the host never sees.
    for (const folder of ['/etc', '/usr/local', hub.homesRoot, hub.modulesRoot, dataDir]) {
      expect({folder, outcome: seen.written[folder]}).to.not.containDeep({outcome: 'written'});
    }
    for (const folder of ['/tmp', '/var/tmp', '/dev/shm']) {
      if (seen.written[folder] === 'written') await expect(fs.access(path.join(folder, 'written-by-bob'))).to.be.rejected();
    }
  });
});
