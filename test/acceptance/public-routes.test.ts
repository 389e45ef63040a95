import {expect, supertest} from '@loopback/testlab';
import {promises as fs} from 'node:fs';
import net from 'node:net';
import {freePort} from '../fixtures/free-port';
import {signIn} from '../fixtures/sign-in';
import {RunningApp, startApp} from '../fixtures/test-app';
import {forSuite} from '../fixtures/for-suite';

/** The embedded provider's admin, and a person who is not one. */
const ADMIN = 'alice@example.org';
const PERSON = 'bob@example.org';

describe('Public routes, errors and health', () => {
  let api: RunningApp;
  let client: supertest.SuperTest<supertest.Test>;

  forSuite(() => startApp(), started => {
    api = started;
    client = supertest(api.url);
  });

  it('serves /version without a token', async () => {
    const res = await client.get('/version').expect(200);
    expect(res.body).to.deepEqual({
      name: 'notebooks-hub-api',
      version: require('../../../package.json').version,
      hubVersion: null,
    });
  });

  it('answers /version at once while JupyterHub is frozen, asking the hub one refresh at a time', async () => {
    // Takes every connection and never answers: a hub that is frozen.
    const sockets: net.Socket[] = [];
    const frozen = net.createServer(socket => sockets.push(socket));
    const port = await freePort();
    await new Promise<void>(resolve => frozen.listen(port, '127.0.0.1', resolve));
    // A hub call would last HUB_TIMEOUT_MS (5 s); 1 s leaves a slow CI machine room and still tells the two apart.
    const hubbed = await startApp({
      HUB_API_URL: `http://127.0.0.1:${port}/hub/api`,
      HUB_API_TOKEN: 'token',
      HUB_TIMEOUT_MS: '5000',
      HUB_RECONCILE_INTERVAL: '3600',
    });
    try {
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const res = await supertest(hubbed.url).get('/version').expect(200);
        expect(Date.now() - started).to.be.below(1000);
        expect(res.body.hubVersion).to.be.null();
      }
      expect(sockets).to.have.length(1);
    } finally {
      await hubbed.stop();
      sockets.forEach(socket => socket.destroy());
      await new Promise(resolve => frozen.close(resolve));
    }
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
    const tokens = await signIn(api.url, ADMIN);
    const res = await client
      .get('/healthcheck')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .expect(200);
    expect(res.body.status).to.equal('pass');
    // The MongoDB-protocol run sets MONGO_URL for every API it starts.
    expect(res.body.checks.database).to.containDeep({status: 'pass', connector: process.env.MONGO_URL ? 'mongodb' : 'memory'});
    expect(res.body.checks.dataDir).to.containDeep({status: 'pass'});
    expect(JSON.stringify(res.body)).not.to.containEql(api.dataDir);
  });

  it('answers 503 naming the failed check when a configured folder is gone', async () => {
    const other = await startApp();
    try {
      const tokens = await signIn(other.url, ADMIN);
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

  it('tells why a check failed, with its paths, to admins only; others see each check\'s outcome', async () => {
    const other = await startApp();
    try {
      const admin = await signIn(other.url, ADMIN);
      const person = await signIn(other.url, PERSON);
      // A file where the secret store keeps its folder: its check fails naming the path.
      await fs.rm(`${other.dataDir}/secrets`, {recursive: true, force: true});
      await fs.writeFile(`${other.dataDir}/secrets`, '');
      const told = await supertest(other.url).get('/healthcheck').set('Authorization', `Bearer ${admin.access_token}`).expect(503);
      expect(told.body.checks.secretStore.status).to.equal('fail');
      expect(told.body.checks.secretStore.message).to.containEql(other.dataDir);
      const res = await supertest(other.url).get('/healthcheck').set('Authorization', `Bearer ${person.access_token}`).expect(503);
      expect(res.body.status).to.equal('fail');
      expect(res.body.checks.secretStore).to.deepEqual({status: 'fail'});
      expect(res.body.checks.database).to.deepEqual({status: 'pass'});
      expect(JSON.stringify(res.body)).not.to.match(/\/(tmp|var|home|data)\b|notebooks-hub-/);
    } finally {
      await other.stop();
    }
  });

  it('stays ready while JupyterHub is down, which /healthcheck alone reports', async () => {
    // Nothing listens on a port just found free: the hub is down.
    const down = await startApp({HUB_API_URL: `http://127.0.0.1:${await freePort()}/hub/api`, HUB_API_TOKEN: 'token'});
    try {
      const tokens = await signIn(down.url, 'alice@example.org');
      const res = await supertest(down.url)
        .get('/healthcheck')
        .set('Authorization', `Bearer ${tokens.access_token}`)
        .expect(503);
      expect(res.body.checks.jupyterhub.status).to.equal('fail');
      expect(res.body.checks.database.status).to.equal('pass');
      expect((await supertest(down.url).get('/health/ready').expect(200)).body).to.deepEqual({status: 'pass'});
    } finally {
      await down.stop();
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
