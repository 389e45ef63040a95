import {expect} from '@loopback/testlab';
import path from 'node:path';
import {promises as fs} from 'node:fs';
import {ApiWorld, PEOPLE, TEMPLATE_BODY} from '../fixtures/api-world';
import {CountingProxy} from '../fixtures/counting-proxy';
import {eventually} from '../fixtures/eventually';
import {HubWorld} from '../fixtures/hub-world';
import {JupyterHubHarness} from '../fixtures/jupyterhub-harness';
import {ServerRepository} from '../../src/kinds/server/server.repository';
import {forSuite} from '../fixtures/for-suite';


const TEMPLATE = TEMPLATE_BODY;

/** The events of a server-sent event stream, read to its end. */
async function readProgress(url: string, token: string): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(url, {headers: {Authorization: `Bearer ${token}`}});
  expect(res.headers.get('content-type')).to.match(/text\/event-stream/);
  const text = await res.text();
  return text
    .split('\n\n')
    .map(block => block.split('\n').filter(line => line.startsWith('data: ')).map(line => line.slice(6)).join(''))
    .filter(Boolean)
    .map(data => JSON.parse(data));
}

describe('Templates and servers on a real JupyterHub', () => {
  let hub: JupyterHubHarness;
  let proxy: CountingProxy;
  let world: ApiWorld;

  forSuite(() => HubWorld.start({HUB_TIMEOUT_MS: '3000', HUB_RECONCILE_INTERVAL: '1'}), started => ({hub, proxy, world} = started));

  const templateExists = async (id: string) => (await (await world.as('admin')).get(`/templates/${id}/access`)).status === 200;

  it('D1: deleting a server keeps a template its owner saved or shared, and drops only one POST /servers made for it', async () => {
    const owner = await world.as('owner');
    const saved = await owner.post('/template').send({...TEMPLATE, name: 'Saved by hand'}).expect(200);
    const onSaved = await owner.put('/servers').query({templateId: saved.body._id, start: false}).expect(200);
    await owner.delete(`/servers/${onSaved.body._id}`).expect(204);
    expect(await templateExists(saved.body._id)).to.be.true();

    const shared = await owner.post('/servers').query({start: false}).send({...TEMPLATE, name: 'Shared after'}).expect(200);
    await owner.post(`/templates/${shared.body.templateId}/share`).send({relation: 'read', userArray: [PEOPLE.direct]}).expect(200);
    await owner.delete(`/servers/${shared.body._id}`).expect(204);
    expect(await templateExists(shared.body.templateId)).to.be.true();
    expect((await (await world.as('direct')).get(`/templates/${shared.body.templateId}/access`)).status).to.equal(200);

    const implicit = await owner.post('/servers').query({start: false}).send({...TEMPLATE, name: 'Made for it'}).expect(200);
    await owner.delete(`/servers/${implicit.body._id}`).expect(204);
    expect(await templateExists(implicit.body.templateId)).to.be.false();
  });

  it('D2: a launch the hub refuses leaves no server and no template behind, and its name stays free', async () => {
    const owner = await world.as('owner');
    const saved = await owner.post('/template').send({...TEMPLATE, name: 'Launched while cut off'}).expect(200);
    const before = (await owner.get('/servers').expect(200)).body.length;
    const templatesBefore = (await owner.get('/templates').expect(200)).body.length;
    proxy.cutOff = true;
    try {
      await owner.post('/servers').send({...TEMPLATE, name: 'Never launched'}).expect(503);
      await owner.put('/servers').query({templateId: saved.body._id}).expect(503);
    } finally {
      proxy.cutOff = false;
    }
    expect((await owner.get('/servers').expect(200)).body.length).to.equal(before);
    expect((await owner.get('/templates').expect(200)).body.length).to.equal(templatesBefore);
    expect(await templateExists(saved.body._id)).to.be.true();
    const again = await owner.put('/servers').query({templateId: saved.body._id, start: false}).expect(200);
    expect(again.body.name).to.equal(saved.body.serverName);
    await owner.delete(`/servers/${again.body._id}`).expect(204);
  });

  it('D6: start=false checks a shared template\'s references like a start, and a 400 names every offending id of every kind', async () => {
    const owner = await world.as('owner');
    const dataset = await owner.post('/datasets').send({name: 'Owner only'}).expect(200);
    const module = await owner.post('/modules').send({name: 'owner-only', version: '1.0'}).expect(200);
    const template = await owner.post('/template').send({...TEMPLATE, name: 'Shared, refs not', datasets: [dataset.body._id], modules: [module.body._id]}).expect(200);
    await owner.post(`/templates/${template.body._id}/share`).send({relation: 'read', userArray: [PEOPLE.direct]}).expect(200);
    const direct = await world.as('direct');
    for (const start of [false, true]) {
      const res = await direct.put('/servers').query({templateId: template.body._id, start}).expect(400);
      expect(res.body.error.message).to.containEql(dataset.body._id);
      expect(res.body.error.message).to.containEql(module.body._id);
    }
    expect((await direct.get('/servers').expect(200)).body).to.deepEqual([]);
    const refs = await owner.post('/template').send({...TEMPLATE, datasets: ['gone-1', 'gone-2'], modules: ['gone-3'], secrets: ['gone-4']}).expect(400);
    for (const id of ['gone-1', 'gone-2', 'gone-3', 'gone-4']) expect(refs.body.error.message).to.containEql(id);
  });

  it('D5: with a frozen hub, a stop or a start answers 504 within one HUB_TIMEOUT_MS, not one per hub call', async () => {
    const owner = await world.as('owner');
    const running = await owner.post('/servers').send({...TEMPLATE, name: 'Frozen out'}).expect(200);
    const idle = await owner.post('/servers').query({start: false}).send({...TEMPLATE, name: 'Frozen idle'}).expect(200);
    await eventually('it runs', async () => (await owner.get(`/servers/${running.body._id}`)).body.status === 'running');
    proxy.frozen = true;
    try {
      // HUB_TIMEOUT_MS is 3000 here; each action makes two hub calls when the first one hangs.
      for (const action of [`/servers/${running.body._id}/stop`, `/servers/${idle.body._id}/start`]) {
        const started = Date.now();
        const res = await owner.put(action);
        expect(res.status).to.equal(504);
        expect(Date.now() - started).to.be.below(4500);
      }
    } finally {
      proxy.frozen = false;
    }
    expect((await owner.get(`/servers/${running.body._id}`).expect(200)).body.status).to.equal('running');
    expect((await owner.get(`/servers/${idle.body._id}`).expect(200)).body.status).to.equal('stopped');
    await owner.delete(`/servers/${running.body._id}`).expect(204);
    await owner.delete(`/servers/${idle.body._id}`).expect(204);
  });

  it('a stop answered 504 that the hub carries out later shows as stopped without anyone acting', async () => {
    const owner = await world.as('owner');
    const server = await owner.post('/servers').send({...TEMPLATE, name: 'Stopped late'}).expect(200);
    await eventually('it runs', async () => (await owner.get(`/servers/${server.body._id}`)).body.status === 'running');
    proxy.withholdAnswersTo = /^DELETE .*\/servers\//;
    try {
      await owner.put(`/servers/${server.body._id}/stop`).expect(504);
    } finally {
      proxy.withholdAnswersTo = undefined;
    }
    await eventually('the record follows the hub', async () => (await owner.get(`/servers/${server.body._id}`)).body.status === 'stopped');
    await owner.delete(`/servers/${server.body._id}`).expect(204);
  });

  it('launches a template as a named server, relays its progress, and runs it until stopped and deleted', async () => {
    const owner = await world.as('owner');
    const created = await owner.post('/servers').send(TEMPLATE).expect(200);
    expect(created.body).to.containDeep({owner: PEOPLE.owner, hubUser: PEOPLE.owner});
    expect(['starting', 'running']).to.containEql(created.body.status);
    const id = created.body._id;

    const events = await readProgress(`${world.api.url}/servers/${id}/progress`, await world.tokenFor(PEOPLE.owner));
    const last = events[events.length - 1];
    expect(last).to.containDeep({ready: true, url: `${hub.publicUrl}/user/${PEOPLE.owner}/${created.body.name}/`});

    await eventually('the server is running', async () => (await owner.get(`/servers/${id}`)).body.status === 'running');
    const listed = await owner.get('/servers').expect(200);
    expect(listed.body.find((s: {_id: string}) => s._id === id).status).to.equal('running');

    // A notebook written through the single-user server's contents API lands in the user's home.
    const token = await hub.api<{token: string}>('POST', `/users/${PEOPLE.owner}/tokens`, {note: 'test'});
    const put = await fetch(`${hub.publicUrl}/user/${PEOPLE.owner}/${created.body.name}/api/contents/hello.ipynb`, {
      method: 'PUT',
      headers: {Authorization: `token ${token.body.token}`, 'Content-Type': 'application/json'},
      body: JSON.stringify({type: 'notebook', content: {cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5}}),
    });
    expect(put.status).to.equal(201);
    const written = JSON.parse(await fs.readFile(path.join(hub.homesRoot, PEOPLE.owner, 'hello.ipynb'), 'utf8'));
    expect(written.nbformat).to.equal(4);

    const stopped = await owner.put(`/servers/${id}/stop`).expect(200);
    expect(['stopping', 'stopped']).to.containEql(stopped.body.status);
    await eventually('the server is stopped', async () => (await owner.get(`/servers/${id}`)).body.status === 'stopped');
    const hubsBefore = proxy.count(/DELETE .*\/servers\//);
    await owner.put(`/servers/${id}/stop`).expect(200);
    expect(proxy.count(/DELETE .*\/servers\//)).to.equal(hubsBefore);

    await owner.delete(`/servers/${id}`).expect(204);
    const hubUser = await hub.api<{servers: object}>('GET', `/users/${PEOPLE.owner}?include_stopped_servers=1`);
    expect(Object.keys(hubUser.body.servers)).to.not.containEql(created.body.name);
    await owner.get(`/servers/${id}`).expect(404);
    await owner.get(`/templates/${created.body.templateId}`).expect(404);
    const templates = await owner.get('/templates').expect(200);
    expect(templates.body.map((t: {_id: string}) => t._id)).to.not.containEql(created.body.templateId);
  });

  it('ends progress opened 0 to 20 ms after a start with ready and the URL, though the hub has no spawn of it yet', async () => {
    const servers = await world.api.app.getRepository(ServerRepository);
    const owner = await world.as('owner');
    const token = await world.tokenFor(PEOPLE.owner);
    const template = await owner.post('/template').send({...TEMPLATE, name: 'Followed at once'}).expect(200);
    /** Starts the server and opens its progress `ms` after sending the start, or once the start has claimed it if that is later. */
    const startAndFollow = async (id: string, ms: number) => {
      const start = owner.put(`/servers/${id}/start`).then(res => res);
      await new Promise(resolve => setTimeout(resolve, ms));
      // Before its claim the server is stopped, and a stream says so at once.
      while ((await servers.findById(id)).status === 'stopped') await new Promise(resolve => setTimeout(resolve, 1));
      const events = await readProgress(`${world.api.url}/servers/${id}/progress`, token);
      expect((await start).status).to.equal(200);
      return events;
    };
    const unexpected: object[] = [];
    for (const ms of [0, 5, 10, 20]) {
      const server = (await owner.put('/servers').query({templateId: template.body._id, start: false}).expect(200)).body;
      const url = `${hub.publicUrl}/user/${PEOPLE.owner}/${server.name}/`;
      // The first start: the hub has never seen the server (404); the second: it has, stopped (400).
      for (const start of ['first', 'second']) {
        const events = await startAndFollow(server._id, ms);
        const last = events[events.length - 1];
        if (events.some(e => e.failed) || last.ready !== true || last.url !== url) unexpected.push({ms, start, events});
        await eventually('it runs', async () => (await owner.get(`/servers/${server._id}`)).body.status === 'running');
        // A real stop may outlast this suite's short HUB_TIMEOUT_MS (504); asking again follows it to its end.
        await eventually('it is stopped', async () => (await owner.put(`/servers/${server._id}/stop`)).body.status === 'stopped');
      }
      await owner.delete(`/servers/${server._id}`).expect(204);
    }
    expect(unexpected).to.deepEqual([]);
  });

  it('makes exactly one spawn at the hub for 20 concurrent starts, all answered 2xx', async () => {
    const owner = await world.as('owner');
    const template = await owner.post('/template').send({...TEMPLATE, name: 'Concurrent'}).expect(200);
    const server = await owner.put('/servers').query({templateId: template.body._id, start: false}).expect(200);
    expect(server.body.status).to.equal('stopped');
    const spawnsBefore = proxy.count(new RegExp(`POST .*/servers/${server.body.name}$`));

    const answers = await Promise.all(Array.from({length: 20}, () => owner.put(`/servers/${server.body._id}/start`)));
    expect(answers.map(a => a.status)).to.deepEqual(Array(20).fill(200));
    expect(proxy.count(new RegExp(`POST .*/servers/${server.body.name}$`)) - spawnsBefore).to.equal(1);

    await eventually('it runs', async () => (await owner.get(`/servers/${server.body._id}`)).body.status === 'running');
    await owner.delete(`/servers/${server.body._id}`).expect(204);
  });

  it('ends a spawn the hub fails as stopped, with the hub\'s message in lastError', async () => {
    const owner = await world.as('owner');
    const created = await owner.post('/servers').send({...TEMPLATE, name: 'Too big', hardware: 'fail-on-purpose'});
    expect(created.status).to.equal(200);
    const id = created.body._id;
    await eventually('the failed spawn is recorded', async () => {
      const server = (await owner.get(`/servers/${id}`)).body;
      return server.status === 'stopped' && /No node has room/.test(server.lastError ?? '');
    });
    const events = await readProgress(`${world.api.url}/servers/${id}/progress`, await world.tokenFor(PEOPLE.owner));
    expect(events[events.length - 1]).to.containDeep({failed: true});
    expect(String(events[events.length - 1].message)).to.match(/No node has room/);
  });

  it('starts servers with a launch ticket alone in user_options, never a reference or a secret value', async () => {
    const owner = await world.as('owner');
    const value = 'server-secret-value-that-must-not-reach-the-hub';
    const secret = await owner.post('/secrets').send({secretName: 'Token', type: 'env_var', value: {TOKEN: value}}).expect(200);
    const dataset = await owner.post('/datasets').send({name: 'Images', write_access: true}).expect(200);
    const created = await owner
      .post('/servers')
      .send({...TEMPLATE, name: 'With secrets', secrets: [secret.body._id], datasets: [dataset.body._id]})
      .expect(200);
    const spawn = proxy.requests.findIndex(r => r === `POST /hub/api/users/${PEOPLE.owner}/servers/${created.body.name}`);
    expect(Object.keys(JSON.parse(proxy.bodies[spawn]))).to.deepEqual(['launchTicket']);
    expect(proxy.bodies.join('\n')).to.not.containEql(value);
    expect(proxy.bodies.join('\n')).to.not.containEql(dataset.body._id);
    // The hub refuses to remove a server while its spawn is pending; a real stop may outlast this suite's short HUB_TIMEOUT_MS.
    await eventually('its spawn ended', async () => (await owner.get(`/servers/${created.body._id}`)).body.status !== 'starting');
    await eventually('it stopped', async () => (await owner.put(`/servers/${created.body._id}/stop`)).body.status === 'stopped');
    await owner.delete(`/servers/${created.body._id}`).expect(204);
  });

  it('refuses templates with unknown hardware or unreadable references, naming them', async () => {
    const owner = await world.as('owner');
    const hardware = await owner.post('/template').send({...TEMPLATE, hardware: 'quantum'}).expect(400);
    expect(hardware.body.error.message).to.match(/hardware "quantum" is not one of the options: small, fail-on-purpose/);
    const strangers = await (await world.as('stranger')).post('/datasets').send({name: 'private'}).expect(200);
    const refs = await owner.post('/template').send({...TEMPLATE, datasets: [strangers.body._id, 'nope'], modules: ['gone']}).expect(400);
    expect(refs.body.error.message).to.match(new RegExp(`${strangers.body._id}, nope`));
    await owner.post('/template').send({...TEMPLATE, type: 'featured'}).expect(403);
  });

  it('answers the hardware options the hub\'s spawner sizes servers by, memory in bytes', async () => {
    const res = await (await world.as('stranger')).get('/volume/hardware').expect(200);
    expect(res.body).to.deepEqual([
      {name: 'small', description: 'A local single-user server: half a CPU, 512 MB memory', cpu: 0.5, memory: 512 * 1024 ** 2},
      {name: 'fail-on-purpose', description: 'The test hub\'s spawner refuses it, as a full cluster would', cpu: 0.5, memory: 512 * 1024 ** 2},
    ]);
  });

  it('ignores server-set fields in bodies and derives a hub-safe serverName', async () => {
    const owner = await world.as('owner');
    const res = await owner
      .post('/template')
      .send({...TEMPLATE, name: 'Ünïcode & spaces!', creator: 'someone@else.org', timestamp: '2000-01-01T00:00:00Z', serverName: '../evil'})
      .expect(200);
    expect(res.body.creator).to.equal(PEOPLE.owner);
    expect(new Date(res.body.timestamp).getFullYear()).to.be.greaterThan(2020);
    expect(res.body.serverName).to.match(/^unicode-spaces-[0-9a-f]{6}$/);
  });

  it('answers tags with counts, most used first', async () => {
    const tagger = await world.as('tagger@lab.org');
    for (const tags of [['gpu', 'python'], ['python'], ['r', 'python'], ['gpu']]) {
      await tagger.post('/template').send({...TEMPLATE, tags}).expect(200);
    }
    const res = await tagger.get('/templates/tags').query({email: 'tagger@lab.org'}).expect(200);
    expect(res.body).to.deepEqual([
      {tag: 'python', count: 3},
      {tag: 'gpu', count: 2},
      {tag: 'r', count: 1},
    ]);
  });

  it('refuses to delete a template that servers use with 409', async () => {
    const owner = await world.as('owner');
    const template = await owner.post('/template').send({...TEMPLATE, name: 'In use'}).expect(200);
    const server = await owner.put('/servers').query({templateId: template.body._id, start: false}).expect(200);
    await owner.delete('/template').query({id: template.body._id}).expect(409);
    await owner.delete(`/servers/${server.body._id}`).expect(204);
  });

  it('lets anyone launch a public template as their own server', async () => {
    const admin = await world.as('admin');
    const template = await admin.post('/template').send({...TEMPLATE, name: 'Featured lab', type: 'featured', public: true}).expect(200);
    const stranger = await world.as('stranger');
    const server = await stranger.put('/servers').query({templateId: template.body._id, start: false}).expect(200);
    expect(server.body.owner).to.equal(PEOPLE.stranger);
    const share = await stranger.get(`/servers/${server.body._id}/share`).expect(200);
    expect(share.body).to.containDeep({templateId: template.body._id, access: [{entity: PEOPLE.stranger, access: 'owner'}]});
    await (await world.as('owner')).get(`/servers/${server.body._id}`).expect(404);
    await stranger.delete(`/servers/${server.body._id}`).expect(204);
    await admin.get('/templates').query({type: 'featured'}).expect(200);
  });

  it('passes the request\'s X-Request-Id on each hub call it makes', async () => {
    const traced = await world.as('traced@lab.org');
    const from = proxy.requests.length;
    await traced.put('/initialize').query({email: 'traced@lab.org'}).set('X-Request-Id', 'abc').expect(200);
    // Only this person's calls: the reconciler calls the hub meanwhile, for no request.
    const calls = proxy.requests.map((request, i) => ({request, headers: proxy.headers[i]})).slice(from).filter(({request}) => request.includes('traced'));
    expect(calls.length).to.be.above(0);
    expect(calls.map(({request, headers}) => `${request} ${headers['x-request-id']}`)).to.deepEqual(calls.map(({request}) => `${request} abc`));
  });

  it('initializes a user on the hub and their home folder (mode 0750), idempotently, for themselves or an admin', async () => {
    const newcomer = await world.as('newcomer@lab.org');
    const first = await newcomer.put('/initialize').query({email: 'Newcomer@Lab.org'}).expect(200);
    expect(first.body).to.deepEqual({email: 'newcomer@lab.org', username: 'newcomer@lab.org', hubUserCreated: true, homeCreated: true});
    expect((await hub.api('GET', '/users/newcomer@lab.org')).status).to.equal(200);
    // HOMES_MODE's default, exactly as a first write makes it (see the file modes tests).
    expect((await fs.stat(path.join(hub.homesRoot, 'newcomer@lab.org'))).mode & 0o7777).to.equal(0o750);
    const again = await newcomer.put('/initialize').query({email: 'newcomer@lab.org'}).expect(200);
    expect(again.body).to.containDeep({hubUserCreated: false, homeCreated: false});
    await newcomer.put('/initialize').query({email: 'someone@lab.org'}).expect(403);
    await (await world.as('admin')).put('/initialize').query({email: 'someone@lab.org'}).expect(200);
  });

  it('reports the hub in /version and /healthcheck, and a person\'s home with email=', async () => {
    const {version} = (await hub.api<{version: string}>('GET', '/')).body;
    expect(version).to.match(/^5\./);
    // /version never waits on the hub: the version comes once a refresh in the background has it.
    await eventually('/version names the hub\'s', async () => (await world.client.get('/version').expect(200)).body.hubVersion === version);
    const owner = await world.as('owner');
    await owner.put('/initialize').query({email: PEOPLE.owner}).expect(200);
    const health = await owner.get('/healthcheck').query({email: PEOPLE.owner}).expect(200);
    expect(health.body.checks.jupyterhub).to.deepEqual({status: 'pass'});
    expect(health.body.checks.home).to.deepEqual({status: 'pass'});
    const told = await (await world.as('admin')).get('/healthcheck').query({email: PEOPLE.owner}).expect(200);
    expect(told.body.checks.jupyterhub).to.containDeep({status: 'pass', version});
    await owner.get('/healthcheck').query({email: PEOPLE.stranger}).expect(403);
  });

  it('answers 503 naming JupyterHub, within the timeout, when the hub cannot be reached, and keeps its own state', async () => {
    const owner = await world.as('owner');
    const created = await owner.post('/servers').send({...TEMPLATE, name: 'Cut off'}).expect(200);
    const id = created.body._id;
    await eventually('it runs', async () => (await owner.get(`/servers/${id}`)).body.status === 'running');
    proxy.cutOff = true;
    try {
      const started = Date.now();
      const stop = await owner.put(`/servers/${id}/stop`).expect(503);
      expect(stop.body.error.message).to.match(/JupyterHub is unreachable/);
      expect(Date.now() - started).to.be.below(3000);
      expect((await owner.get(`/servers/${id}`).expect(200)).body.status).to.equal('running');
      const health = await (await world.as('admin')).get('/healthcheck').expect(503);
      expect(health.body.checks.jupyterhub).to.containDeep({status: 'fail'});
      expect(health.body.checks.jupyterhub.message).to.match(/JupyterHub/);
    } finally {
      proxy.cutOff = false;
    }
    await owner.delete(`/servers/${id}`).expect(204);
  });

  it('answers 503 while the hub is stopped, and reconciles statuses once it is back without anyone acting', async () => {
    const owner = await world.as('owner');
    const running = await owner.post('/servers').send({...TEMPLATE, name: 'Survivor'}).expect(200);
    const idle = await owner.post('/servers').query({start: false}).send({...TEMPLATE, name: 'Idle'}).expect(200);
    await eventually('it runs', async () => (await owner.get(`/servers/${running.body._id}`)).body.status === 'running');

    // Stopping the hub stops its single-user servers too.
    await hub.stop();
    const start = await owner.put(`/servers/${idle.body._id}/start`).expect(503);
    expect(start.body.error.message).to.match(/JupyterHub is unreachable/);
    expect((await owner.get(`/servers/${idle.body._id}`).expect(200)).body).to.containDeep({status: 'stopped'});
    await owner.post('/servers').send({...TEMPLATE, name: 'While down'}).expect(503);
    expect((await owner.get('/healthcheck').expect(503)).body.checks.jupyterhub.status).to.equal('fail');

    await hub.restart();
    await eventually(
      'the stored status follows the hub',
      async () => (await owner.get(`/servers/${running.body._id}`)).body.status === 'stopped',
    );
    await owner.get('/healthcheck').expect(200);
    await owner.put(`/servers/${idle.body._id}/start`).expect(200);
    await eventually('the idle one runs', async () => (await owner.get(`/servers/${idle.body._id}`)).body.status === 'running');
  });
});

describe('Listing servers', () => {
  let proxy: CountingProxy;
  let world: ApiWorld;

  forSuite(() => HubWorld.start({HUB_RECONCILE_INTERVAL: '3600'}), started => ({proxy, world} = started));

  it('lists 200 servers of one user from stored statuses without a single hub request', async () => {
    const owner = await world.as('owner');
    const template = await owner.post('/template').send(TEMPLATE).expect(200);
    for (let i = 0; i < 200; i++) {
      await owner.put('/servers').query({templateId: template.body._id, start: false}).expect(200);
    }
    const before = proxy.requests.length;
    const listed = await owner.get('/servers').expect(200);
    expect(listed.body).to.have.length(200);
    expect(new Set(listed.body.map((s: {name: string}) => s.name)).size).to.equal(200);
    for (const server of listed.body.slice(0, 20)) await owner.get(`/servers/${server._id}`).expect(200);
    expect(proxy.requests.slice(before)).to.deepEqual([]);
  });
});
