import {expect, supertest} from '@loopback/testlab';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {RunningApp, startApp} from '../fixtures/test-app';

const COMMITTED = path.resolve(__dirname, '../../../openapi.json');

type Spec = {paths: Record<string, Record<string, unknown>>; servers?: unknown};

/** What differs between two specs, ignoring `servers` (they follow the request's host). */
function specDrift(served: Spec, committed: Spec): string[] {
  const operations = (spec: Spec) =>
    new Map(
      Object.entries(spec.paths).flatMap(([route, item]) =>
        Object.entries(item).map(([verb, op]) => [`${verb.toUpperCase()} ${route}`, JSON.stringify(op)]),
      ),
    );
  const servedOps = operations(served);
  const committedOps = operations(committed);
  const drift: string[] = [];
  for (const [op, text] of servedOps) {
    if (!committedOps.has(op)) drift.push(`${op} is served but missing from openapi.json`);
    else if (committedOps.get(op) !== text) drift.push(`${op} differs from openapi.json`);
  }
  for (const op of committedOps.keys()) {
    if (!servedOps.has(op)) drift.push(`${op} is in openapi.json but not served`);
  }
  const rest = (spec: Spec) => JSON.stringify({...spec, paths: undefined, servers: undefined});
  if (rest(served) !== rest(committed)) drift.push('components or info differ from openapi.json');
  return drift;
}

describe('openapi.json', () => {
  let api: RunningApp;

  before(async () => {
    api = await startApp();
  });

  after(async () => {
    await api?.stop();
  });

  const served = async (running: RunningApp) =>
    (await supertest(running.url).get('/openapi.json').expect(200)).body as Spec;
  const committed = () => JSON.parse(readFileSync(COMMITTED, 'utf8')) as Spec;

  it('is exactly the spec the running app serves (regenerate with `npm run openapi-spec`)', async () => {
    expect(specDrift(await served(api), committed())).to.deepEqual([]);
  });

  it('reports drift when the app gains a route that openapi.json lacks', async () => {
    const other = await startApp();
    try {
      other.app.route('get', '/drift-probe', {responses: {'200': {description: 'probe'}}}, () => 'probe');
      expect(specDrift(await served(other), committed())).to.deepEqual([
        'GET /drift-probe is served but missing from openapi.json',
      ]);
    } finally {
      await other.stop();
    }
  });

  it('declares the bearer scheme on protected routes and only there, and the spawner\'s token on its route alone', async () => {
    const spec = (await served(api)) as Spec & {components: {securitySchemes: object}};
    expect(spec.components.securitySchemes).to.deepEqual({
      bearerAuth: {type: 'http', scheme: 'bearer', bearerFormat: 'JWT'},
      spawnerToken: {type: 'http', scheme: 'bearer', description: 'SPAWNER_TOKEN, shared by the API and the hub\'s spawner'},
    });
    const security = (route: string, verb: string) => (spec.paths[route][verb] as {security?: unknown}).security;
    expect(security('/whoami', 'get')).to.deepEqual([{bearerAuth: []}]);
    expect(security('/healthcheck', 'get')).to.deepEqual([{bearerAuth: []}]);
    expect(security('/version', 'get')).to.be.undefined();
    expect(security('/auth/token', 'post')).to.be.undefined();
    expect(security('/hub/servers/{hubUser}/{serverName}/secrets', 'get')).to.deepEqual([{spawnerToken: []}]);
    const withSpawnerToken = Object.entries(spec.paths).filter(([, item]) =>
      Object.values(item).some(op => JSON.stringify((op as {security?: unknown}).security ?? []).includes('spawnerToken')),
    );
    expect(withSpawnerToken.map(([route]) => route)).to.deepEqual(['/hub/servers/{hubUser}/{serverName}/secrets']);
  });
});
