import {expect} from '@loopback/testlab';
import {ApiWorld, PEOPLE, TEMPLATE_BODY} from '../fixtures/api-world';
import {CountingProxy} from '../fixtures/counting-proxy';
import {eventually} from '../fixtures/eventually';
import {HubWorld} from '../fixtures/hub-world';
import {JupyterHubHarness} from '../fixtures/jupyterhub-harness';
import {forSuite} from '../fixtures/for-suite';

/** A value of the API's Prometheus metrics, e.g. `notebooks_hub_server_culls_total{reason="idle"}`. */
async function metric(world: ApiWorld, series: string): Promise<number> {
  const {text} = await world.client.get('/metrics').expect(200);
  const line = text.split('\n').find(l => l.startsWith(`${series} `));
  if (!line) throw new Error(`No metric ${series}`);
  return Number(line.slice(series.length + 1));
}

/**
 * Idle servers and lifetimes on a real JupyterHub, with settings of
 * seconds (fractions of minutes and hours): the reconciler runs every
 * second and the hub reads the proxy's activity every second (300 s by
 * default), so "in use" and "idle" are what the hub says of each server.
 */
describe('Servers stopped when idle or past their lifetime (real hub)', () => {
  let hub: JupyterHubHarness;
  let proxy: CountingProxy;
  let world: ApiWorld;

  forSuite(
    () => HubWorld.start({HUB_RECONCILE_INTERVAL: '1', IDLE_TIMEOUT_MAX_MINUTES: '1', MAX_LIFETIME_HOURS: '0.5'}, {activityIntervalSeconds: 1}),
    started => ({hub, proxy, world} = started),
  );

  const serverUrl = (name: string) => `${hub.publicUrl}/user/${PEOPLE.owner}/${name}`;
  /** A request to the server through the hub's proxy: activity, as a person's browser makes it. */
  const use = async (name: string) => {
    const res = await fetch(`${serverUrl(name)}/api/status`, {headers: {Authorization: `token ${hub.token}`}});
    expect(res.status).to.equal(200);
  };
  const running = async (owner: Awaited<ReturnType<ApiWorld['as']>>, id: string) => {
    await eventually('the server runs', async () => {
      const {body} = await owner.get(`/servers/${id}`).expect(200);
      if (body.status === 'stopped') throw new Error(`The spawn failed: ${body.lastError}`);
      return body.status === 'running';
    }, 60000);
  };

  it('refuses a template whose idle timeout or lifetime goes past the operator\'s caps with 400 naming the cap, and saves nothing', async () => {
    const owner = await world.as('owner');
    const idle = await owner.post('/template').send({...TEMPLATE_BODY, name: 'Too patient', idleTimeoutMinutes: 2}).expect(400);
    expect(idle.body.error.code).to.equal('validation_failed');
    expect(idle.body.error.message).to.match(/idleTimeoutMinutes: must be at most IDLE_TIMEOUT_MAX_MINUTES \(1\)/);
    const lifetime = await owner.post('/servers').send({...TEMPLATE_BODY, name: 'Too long', maxLifetimeHours: 1}).expect(400);
    expect(lifetime.body.error.message).to.match(/maxLifetimeHours: must be at most MAX_LIFETIME_HOURS \(0.5\)/);
    expect(lifetime.body.error.details.map((d: {path: string}) => d.path)).to.deepEqual(['/maxLifetimeHours']);
    expect((await owner.get('/servers').expect(200)).body).to.deepEqual([]);
    expect((await owner.get('/templates').expect(200)).body).to.deepEqual([]);

    const saved = await owner.post('/template').send({...TEMPLATE_BODY, name: 'Within', idleTimeoutMinutes: 0.5, maxLifetimeHours: 0.25}).expect(200);
    expect(saved.body).to.containDeep({idleTimeoutMinutes: 0.5, maxLifetimeHours: 0.25});
    await owner.patch('/template').query({templateId: saved.body._id}).send({idleTimeoutMinutes: 1.5}).expect(400);
    expect((await owner.get(`/templates/${saved.body._id}`).expect(200)).body.idleTimeoutMinutes).to.equal(0.5);
    await owner.delete('/template').query({id: saved.body._id}).expect(204);
  });

  it('keeps a server in use running, stops it once idle past its timeout, keeps it saying why and when, and starts it again on request', async () => {
    const owner = await world.as('owner');
    const idleBefore = await metric(world, 'notebooks_hub_server_culls_total{reason="idle"}');
    // 9 s idle.
    const created = await owner.post('/servers').send({...TEMPLATE_BODY, name: 'Left alone', idleTimeoutMinutes: 0.15}).expect(200);
    const {_id: id, name} = created.body;
    await running(owner, id);

    // In use for longer than its idle timeout: every second a request through the proxy.
    const inUseUntil = Date.now() + 15000;
    while (Date.now() < inUseUntil) {
      await use(name);
      await new Promise(resolve => setTimeout(resolve, 1000));
    }
    const used = (await owner.get(`/servers/${id}`).expect(200)).body;
    expect(used).to.containDeep({status: 'running', stoppedReason: null});

    // Left alone: the reconciler's passes read the hub's users list and nothing else, and stop this one server.
    const mark = proxy.requests.length;
    const leftAt = Date.now();
    await eventually('the idle server is stopped', async () => (await owner.get(`/servers/${id}`).expect(200)).body.status === 'stopped', 40000);
    const stopped = (await owner.get(`/servers/${id}`).expect(200)).body;
    expect(stopped.stoppedReason).to.equal('idle');
    expect(new Date(stopped.stoppedAt).getTime()).to.be.greaterThanOrEqual(leftAt + 9000 - 2000);
    const hubCalls = proxy.requests.slice(mark);
    expect(hubCalls.filter(r => !/^GET \/hub\/api\/users\?/.test(r))).to.deepEqual([
      `DELETE /hub/api/users/${encodeURIComponent(PEOPLE.owner).replace(/%40/g, '@')}/servers/${name}`,
    ]);
    const hubUser = await hub.api<{servers: Record<string, unknown>}>('GET', `/users/${PEOPLE.owner}`);
    expect(Object.keys(hubUser.body.servers)).to.not.containEql(name);
    expect(await metric(world, 'notebooks_hub_server_culls_total{reason="idle"}')).to.equal(idleBefore + 1);
    // Still there, in the owner's list.
    expect((await owner.get('/servers').expect(200)).body.map((s: {_id: string}) => s._id)).to.containEql(id);

    const restarted = await owner.put(`/servers/${id}/start`).expect(200);
    expect(restarted.body).to.containDeep({stoppedReason: null, stoppedAt: null});
    expect(new Date(restarted.body.startedAt).getTime()).to.be.greaterThan(new Date(stopped.stoppedAt).getTime());
    await running(owner, id);
    await owner.delete(`/servers/${id}`).expect(204);
  });

  it('stops a server alive past its lifetime, counted from the API\'s start, though it is in use', async () => {
    const owner = await world.as('owner');
    const lifetimeBefore = await metric(world, 'notebooks_hub_server_culls_total{reason="lifetime"}');
    // 12.6 s of life; its idle timeout (a minute) is never reached.
    const created = await owner.post('/servers').send({...TEMPLATE_BODY, name: 'Short lived', maxLifetimeHours: 0.0035, idleTimeoutMinutes: 1}).expect(200);
    const {_id: id, name} = created.body;
    const startedAt = new Date(created.body.startedAt).getTime();
    await running(owner, id);
    let status = 'running';
    while (status === 'running' || status === 'stopping') {
      if (Date.now() - startedAt > 60000) throw new Error('The server outlived its lifetime by far');
      await use(name).catch(() => undefined);
      await new Promise(resolve => setTimeout(resolve, 1000));
      status = (await owner.get(`/servers/${id}`).expect(200)).body.status;
    }
    const stopped = (await owner.get(`/servers/${id}`).expect(200)).body;
    expect(stopped).to.containDeep({status: 'stopped', stoppedReason: 'lifetime'});
    expect(new Date(stopped.stoppedAt).getTime() - startedAt).to.be.greaterThanOrEqual(12600);
    expect(await metric(world, 'notebooks_hub_server_culls_total{reason="lifetime"}')).to.equal(lifetimeBefore + 1);
    await owner.delete(`/servers/${id}`).expect(204);
  });
});
