import {expect, supertest} from '@loopback/testlab';
import {ApiWorld, PEOPLE, TEMPLATE_BODY} from '../fixtures/api-world';
import {HubWorld} from '../fixtures/hub-world';
import {JupyterHubHarness} from '../fixtures/jupyterhub-harness';
import {startApp} from '../fixtures/test-app';
import {LoggerService} from '../../src/services/logger.service';
import {userHash} from '../../src/utils/request-scope.util';
import {forSuite} from '../fixtures/for-suite';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    samples.push({name: match[1], labels, value: Number(match[3])});
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels`. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter(s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

async function scrape(client: supertest.SuperTest<supertest.Test>, token?: string): Promise<Sample[]> {
  const res = await (token ? client.get('/metrics').set('Authorization', `Bearer ${token}`) : client.get('/metrics')).expect(200);
  expect(res.headers['content-type']).to.match(/^text\/plain/);
  return parseExposition(res.text);
}

describe('Observability: metrics, request ids and JSON logs', () => {
  let world: ApiWorld;
  const logged: string[] = [];

  forSuite(() => ApiWorld.start({METRICS_TOKEN, LOG_LEVEL: 'info'}), async started => {
    world = started;
    (await world.api.app.get<LoggerService>('services.LoggerService')).useSink(line => logged.push(line));
  });

  it('counts requests by method, route template and status after a journey, never by raw path', async () => {
    const owner = await world.as('owner');
    const dataset = await owner.post('/datasets').send({name: 'Metrics journey'}).expect(200);
    await owner.get('/datasets').expect(200);
    await owner.get(`/datasets/${dataset.body._id}`).expect(200);
    await owner.get('/datasets/no-such-dataset').expect(404);
    await world.client.get('/no/such/route/at/all').expect(404);
    await world.client.get('/whoami').expect(401);

    const samples = await scrape(world.client, METRICS_TOKEN);
    const requests = 'notebooks_hub_http_requests_total';
    expect(valueOf(samples, requests, {method: 'POST', route: '/datasets', status: '200'})).to.be.aboveOrEqual(1);
    expect(valueOf(samples, requests, {method: 'GET', route: '/datasets', status: '200'})).to.be.aboveOrEqual(1);
    expect(valueOf(samples, requests, {method: 'GET', route: '/datasets/{id}', status: '200'})).to.be.aboveOrEqual(1);
    expect(valueOf(samples, requests, {method: 'GET', route: '/datasets/{id}', status: '404'})).to.be.aboveOrEqual(1);
    expect(valueOf(samples, requests, {method: 'GET', route: '(unmatched)', status: '404'})).to.be.aboveOrEqual(1);
    expect(valueOf(samples, requests, {method: 'GET', route: '/whoami', status: '401'})).to.be.aboveOrEqual(1);
    const duration = 'notebooks_hub_http_request_duration_seconds_count';
    expect(valueOf(samples, duration, {method: 'POST', route: '/datasets', status: '200'})).to.be.aboveOrEqual(1);
    const routes = samples.filter(s => s.name === requests).map(s => s.labels.route);
    expect(
      routes.filter(route => route.includes(dataset.body._id) || route.includes('no-such') || route.includes('/at/all')),
    ).to.be.empty();
    // Process metrics of prom-client, in the app's own registry.
    expect(samples.some(s => s.name === 'process_cpu_user_seconds_total')).to.be.true();
    expect(samples.some(s => s.name === 'nodejs_heap_size_used_bytes')).to.be.true();
  });

  it('asks for METRICS_TOKEN when it is set: 401 without it or with another, 200 with it', async () => {
    const none = await world.client.get('/metrics').expect(401);
    expect(none.body.error).to.containDeep({statusCode: 401, code: 'unauthenticated'});
    expect(none.headers['www-authenticate']).to.match(/^Bearer/);
    await world.client.get('/metrics').set('Authorization', 'Bearer not-the-metrics-token').expect(401);
    // A person's access token is not the metrics token.
    await world.client
      .get('/metrics')
      .set('Authorization', `Bearer ${await world.tokenFor(PEOPLE.admin, true)}`)
      .expect(401);
    await scrape(world.client, METRICS_TOKEN);
  });

  it('answers a sane X-Request-Id as it came, and a new id for none or an unsafe one, on errors too', async () => {
    const echoed = await world.client.get('/version').set('X-Request-Id', 'edge-proxy:42.a_b-c').expect(200);
    expect(echoed.headers['x-request-id']).to.equal('edge-proxy:42.a_b-c');
    const fresh = await world.client.get('/version').expect(200);
    expect(fresh.headers['x-request-id']).to.match(UUID);
    for (const unsafe of ['has space', 'x'.repeat(129), 'quote"d', 'line\u00e9']) {
      const res = await world.client.get('/version').set('X-Request-Id', unsafe).expect(200);
      expect(res.headers['x-request-id']).to.match(UUID);
    }
    const missing = await world.client.get('/no/such/route').set('X-Request-Id', 'for-a-404').expect(404);
    expect(missing.headers['x-request-id']).to.equal('for-a-404');
    const refused = await world.client.get('/whoami').set('X-Request-Id', 'for-a-401').expect(401);
    expect(refused.headers['x-request-id']).to.equal('for-a-401');
  });

  it('lets browsers read X-Request-Id through CORS', async () => {
    const res = await world.client.get('/version').set('Origin', world.api.url).expect(200);
    expect(res.headers['access-control-expose-headers']).to.match(/X-Request-Id/i);
  });

  it('follows one request id through every log line of the request, with the email hash and no email or token', async () => {
    const token = await world.tokenFor(PEOPLE.owner);
    const requestId = `journey-${Date.now()}`;
    const before = logged.length;
    // No hub is configured: the hub call fails inside the service, and the failure is logged while the request runs.
    await world.client
      .put('/initialize')
      .query({email: PEOPLE.owner})
      .set('Authorization', `Bearer ${token}`)
      .set('X-Request-Id', requestId)
      .expect(503)
      .expect('X-Request-Id', requestId);
    const lines = logged.slice(before).map(line => JSON.parse(line) as Record<string, unknown>);
    const ours = lines.filter(line => line.requestId === requestId);
    expect(ours.map(line => line.message)).to.containDeep(['a peer failed a request', 'request']);
    expect(ours.find(line => line.message === 'request')).to.containDeep({method: 'PUT', path: '/initialize', status: 503});
    for (const line of ours) expect(line.user).to.equal(userHash(PEOPLE.owner));
    const text = logged.slice(before).join('\n');
    expect(text).to.not.containEql(PEOPLE.owner);
    expect(text).to.not.containEql(token);
  });

  it('logs a request without a token with its id and no user', async () => {
    const before = logged.length;
    await world.client.get('/version').set('X-Request-Id', 'anonymous-1').expect(200);
    const line = logged
      .slice(before)
      .map(l => JSON.parse(l))
      .find(l => l.requestId === 'anonymous-1');
    expect(line).to.containDeep({message: 'request', method: 'GET', path: '/version', status: 200});
    expect(line).to.not.have.property('user');
  });
});

describe('Observability of the embedded provider', () => {
  it('logs its notices as JSON lines and its routes with their /oidc prefix', async () => {
    const printed: string[] = [];
    const writes = {out: process.stdout.write, err: process.stderr.write};
    const capture = (chunk: unknown) => {
      printed.push(String(chunk));
      return true;
    };
    process.stdout.write = capture as typeof process.stdout.write;
    process.stderr.write = capture as typeof process.stderr.write;
    let api;
    try {
      api = await startApp({LOG_LEVEL: 'info'});
    } finally {
      process.stdout.write = writes.out;
      process.stderr.write = writes.err;
    }
    try {
      const lines = printed.join('').split('\n').filter(Boolean);
      const notices = lines.filter(line => line.includes('oidc-provider'));
      expect(notices.length).to.be.aboveOrEqual(1);
      for (const line of notices) expect(JSON.parse(line)).to.containDeep({source: 'oidc-provider'});
      const logged: string[] = [];
      (await api.app.get<LoggerService>('services.LoggerService')).useSink(line => logged.push(line));
      await supertest(api.url).get('/oidc/.well-known/openid-configuration').set('X-Request-Id', 'discovery').expect(200);
      const request = logged.map(line => JSON.parse(line)).find(line => line.requestId === 'discovery');
      expect(request).to.containDeep({message: 'request', path: '/oidc/.well-known/openid-configuration', status: 200});
      const samples = parseExposition((await supertest(api.url).get('/metrics').expect(200)).text);
      expect(valueOf(samples, 'notebooks_hub_http_requests_total', {route: '/oidc/*', status: '200'})).to.be.aboveOrEqual(1);
    } finally {
      await api.stop();
    }
  });
});

describe('Observability of JupyterHub calls, spawns and reconciliation on a real hub', () => {
  let hub: JupyterHubHarness;
  let world: ApiWorld;

  forSuite(() => HubWorld.start({HUB_RECONCILE_INTERVAL: '1'}), started => ({hub, world} = started));

  it('counts hub calls by operation and outcome, times the spawn to running, and counts reconcile passes', async () => {
    const owner = await world.as('owner');
    const server = await owner
      .post('/servers')
      .send({...TEMPLATE_BODY, name: 'Measured'})
      .expect(200);
    let status = server.body.status;
    const deadline = Date.now() + 60000;
    while (status !== 'running') {
      const current = (await owner.get(`/servers/${server.body._id}`).expect(200)).body;
      if (current.status === 'stopped') throw new Error(`The spawn failed: ${current.lastError}\n${hub.logs.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error('The server did not start within 60 s');
      status = current.status;
      await new Promise(resolve => setTimeout(resolve, 250));
    }
    let samples = await scrape(world.client);
    while (valueOf(samples, 'notebooks_hub_reconcile_passes_total', {outcome: 'ok'}) < 1) {
      if (Date.now() > deadline) throw new Error('No reconcile pass was counted');
      await new Promise(resolve => setTimeout(resolve, 250));
      samples = await scrape(world.client);
    }
    expect(valueOf(samples, 'notebooks_hub_hub_requests_total', {operation: 'start_server', outcome: 'ok'})).to.equal(1);
    expect(valueOf(samples, 'notebooks_hub_hub_requests_total', {operation: 'create_user', outcome: 'ok'})).to.equal(1);
    expect(valueOf(samples, 'notebooks_hub_hub_requests_total', {operation: 'list_users', outcome: 'ok'})).to.be.aboveOrEqual(1);
    expect(valueOf(samples, 'notebooks_hub_hub_request_duration_seconds_count', {operation: 'start_server'})).to.equal(1);
    expect(valueOf(samples, 'notebooks_hub_spawn_duration_seconds_count', {outcome: 'running'})).to.equal(1);
    expect(valueOf(samples, 'notebooks_hub_spawn_duration_seconds_sum', {outcome: 'running'})).to.be.above(0);
    expect(valueOf(samples, 'notebooks_hub_http_requests_total', {method: 'POST', route: '/servers', status: '200'})).to.equal(1);
    expect(
      valueOf(samples, 'notebooks_hub_http_requests_total', {method: 'GET', route: '/servers/{id}', status: '200'}),
    ).to.be.aboveOrEqual(1);
    const hubOutcomes = new Set(samples.filter(s => s.name === 'notebooks_hub_hub_requests_total').map(s => s.labels.outcome));
    for (const outcome of hubOutcomes) expect(['ok', 'hub_error', 'unavailable', 'timeout']).to.containEql(outcome);
    await owner.delete(`/servers/${server.body._id}`).expect(204);
  });
});
