import {expect, supertest} from '@loopback/testlab';
import {promises as fs} from 'node:fs';
import {signIn} from '../fixtures/sign-in';
import {RunningApp, startApp} from '../fixtures/test-app';

describe('Public routes, errors and health', () => {
  let api: RunningApp;
  let client: supertest.SuperTest<supertest.Test>;

  before(async () => {
    api = await startApp();
    client = supertest(api.url);
  });

  after(async () => {
    await api?.stop();
  });

  it('serves /version without a token', async () => {
    const res = await client.get('/version').expect(200);
    expect(res.body).to.deepEqual({
      name: 'notebooks-hub-api',
      version: require('../../../package.json').version,
      hubVersion: null,
    });
  });

  it('serves the explorer and /openapi.json without a token', async () => {
    const page = await client.get('/explorer/').expect(200);
    expect(page.text).to.match(/swagger-ui/i);
    const spec = await client.get('/openapi.json').expect(200);
    expect(spec.body.openapi).to.match(/^3\./);
  });

  it('serves /metrics without a token while METRICS_TOKEN is unset, as Prometheus text', async () => {
    const res = await client.get('/metrics').expect(200);
    expect(res.headers['content-type']).to.match(/^text\/plain/);
    expect(res.text).to.match(/^# HELP /m);
  });

  it('serves the sign-in page from public/ without a token', async () => {
    const page = await client.get('/').expect(200);
    expect(page.text).to.match(/Notebooks Hub/);
  });

  it('answers an unknown route with a 404 JSON error', async () => {
    const res = await client.get('/no/such/route').expect(404);
    expect(res.body).to.deepEqual({
      error: {statusCode: 404, name: 'NotFoundError', message: 'Endpoint "GET /no/such/route" not found.', code: 'not_found'},
    });
  });

  it('answers a method a path does not have with 405, listing the ones it has in Allow', async () => {
    const version = await client.delete('/version').expect(405);
    expect(version.headers.allow).to.equal('GET');
    expect(version.body).to.deepEqual({
      error: {
        statusCode: 405,
        name: 'MethodNotAllowedError',
        message: 'Method DELETE is not allowed on /version; it allows GET.',
        code: 'method_not_allowed',
      },
    });
    const datasets = await client.put('/datasets').send({}).expect(405);
    expect(datasets.headers.allow).to.equal('GET, POST');
    expect(datasets.body.error.code).to.equal('method_not_allowed');
    // A templated path counts as in routing; a path no route has stays 404 with any method.
    expect((await client.post('/datasets/some-id').expect(405)).headers.allow).to.equal('GET, PATCH, DELETE');
    await client.delete('/no/such/route').expect(404);
  });

  it('answers a malformed JSON body with a 400 JSON error and no stack trace', async () => {
    const res = await client
      .post('/auth/token')
      .set('Content-Type', 'application/json')
      .send('{"code": ')
      .expect(400);
    expect(res.body.error).to.containDeep({statusCode: 400});
    expect(JSON.stringify(res.body)).to.not.match(/stack|at .*\.js/);
  });

  it('answers errors as JSON even when the client asks for HTML', async () => {
    const res = await client.get('/whoami').set('Accept', 'text/html').expect(401);
    expect(res.headers['content-type']).to.match(/application\/json/);
    expect(res.body.error.statusCode).to.equal(401);
  });

  it('answers a body over MAX_BODY_SIZE with 413', async () => {
    const small = await startApp({MAX_BODY_SIZE: '1kb'});
    try {
      const res = await supertest(small.url)
        .post('/auth/token')
        .send({code: 'x'.repeat(2048), state: 'y'})
        .expect(413);
      expect(res.body.error.statusCode).to.equal(413);
    } finally {
      await small.stop();
    }
  });

  it('requires a token for /healthcheck', async () => {
    await client.get('/healthcheck').expect(401);
  });

  it('reports every check as passing with 200, naming no folder path', async () => {
    const tokens = await signIn(api.url, 'alice@example.org');
    const res = await client
      .get('/healthcheck')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .expect(200);
    expect(res.body.status).to.equal('pass');
    expect(res.body.checks.database).to.containDeep({status: 'pass', connector: 'memory'});
    expect(res.body.checks.dataDir).to.containDeep({status: 'pass'});
    expect(JSON.stringify(res.body)).not.to.containEql(api.dataDir);
  });

  it('answers 503 naming the failed check when a configured folder is gone', async () => {
    const other = await startApp();
    try {
      const tokens = await signIn(other.url, 'alice@example.org');
      await fs.rm(other.dataDir, {recursive: true, force: true});
      const res = await supertest(other.url)
        .get('/healthcheck')
        .set('Authorization', `Bearer ${tokens.access_token}`)
        .expect(503);
      expect(res.body.status).to.equal('fail');
      expect(res.body.checks.dataDir.status).to.equal('fail');
      expect(res.body.checks.dataDir.message).to.match(/does not exist/);
      expect(res.body.checks.database.status).to.equal('pass');
      // The probes need no token and tell only the outcome: the process lives, it is not ready.
      expect((await supertest(other.url).get('/health/live').expect(200)).body).to.deepEqual({status: 'pass'});
      expect((await supertest(other.url).get('/health/ready').expect(503)).body).to.deepEqual({status: 'fail'});
    } finally {
      await other.stop();
    }
  });

  it('answers the liveness and readiness probes without a token, and without details', async () => {
    expect((await client.get('/health/live').expect(200)).body).to.deepEqual({status: 'pass'});
    expect((await client.get('/health/ready').expect(200)).body).to.deepEqual({status: 'pass'});
  });

  it('answers CORS preflights for the configured origins only', async () => {
    const allowed = await client
      .options('/whoami')
      .set('Origin', new URL(api.url).origin)
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization');
    expect(allowed.status).to.equal(204);
    expect(allowed.headers['access-control-allow-origin']).to.equal(new URL(api.url).origin);
    const refused = await client
      .options('/whoami')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'GET');
    expect(refused.headers['access-control-allow-origin']).to.be.undefined();
  });
});
