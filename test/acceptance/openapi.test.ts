import {expect, supertest} from '@loopback/testlab';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {ERROR_CODES} from '../../src/utils/api-error.util';
import {exampleDisagreement} from '../fixtures/contract-hook';
import {signIn} from '../fixtures/sign-in';
import {RunningApp, startApp} from '../fixtures/test-app';
import {forSuite} from '../fixtures/for-suite';

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

  forSuite(() => startApp(), started => (api = started));

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

  it('names the license of package.json and of the LICENSE file', async () => {
    const spec = (await served(api)) as Spec & {info: {license?: unknown}};
    const root = path.resolve(__dirname, '../../..');
    expect(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).license).to.equal('MIT');
    expect(spec.info.license).to.deepEqual({name: 'MIT', url: 'https://spdx.org/licenses/MIT.html'});
    expect(readFileSync(path.join(root, 'LICENSE'), 'utf8')).to.match(/^MIT License\n\nCopyright \(c\) 2026 Notebooks Hub contributors\n/);
  });

  it('declares each way in as a security scheme: bearer on protected routes, the openBIS token beside it on the ELN\'s, the sign-in cookie on the code exchange, the spawner\'s token on its route alone', async () => {
    const spec = (await served(api)) as Spec & {components: {securitySchemes: object}};
    expect(spec.components.securitySchemes).to.deepEqual({
      bearerAuth: {type: 'http', scheme: 'bearer', bearerFormat: 'JWT'},
      openbisToken: {
        type: 'apiKey',
        in: 'query',
        name: 'token',
        description: 'An openBIS session token, checked against OPENBIS_URL: the openBIS ELN\'s way in, on POST /volume/file alone',
      },
      signInCookie: {
        type: 'apiKey',
        in: 'cookie',
        name: 'nbh_signin',
        description:
          'Set by POST /auth/authorize (HttpOnly, Path=/auth): the PKCE verifiers of the sign-ins this client started, so that only it ' +
          'can finish them. Browsers send it by themselves; other clients send back what they were given.',
      },
      spawnerToken: {type: 'http', scheme: 'bearer', description: 'SPAWNER_TOKEN, shared by the API and the hub\'s spawner'},
    });
    const security = (route: string, verb: string) => (spec.paths[route][verb] as {security?: unknown}).security;
    expect(security('/whoami', 'get')).to.deepEqual([{bearerAuth: []}]);
    expect(security('/healthcheck', 'get')).to.deepEqual([{bearerAuth: []}]);
    expect(security('/version', 'get')).to.deepEqual([]);
    expect(security('/auth/authorize', 'post')).to.deepEqual([]);
    expect(security('/auth/token', 'post')).to.deepEqual([{signInCookie: []}]);
    expect(security('/volume/file', 'post')).to.deepEqual([{bearerAuth: []}, {openbisToken: []}]);
    expect(security('/hub/servers/{hubUser}/{serverName}/launch', 'post')).to.deepEqual([{spawnerToken: []}]);
    const using = (scheme: string) =>
      operationsOf(spec)
        .filter(({op}) => JSON.stringify(op.security ?? []).includes(`"${scheme}"`))
        .map(({route, verb}) => `${verb.toUpperCase()} ${route}`);
    expect(using('spawnerToken')).to.deepEqual(['POST /hub/servers/{hubUser}/{serverName}/launch']);
    expect(using('openbisToken')).to.deepEqual(['POST /volume/file']);
    expect(using('signInCookie')).to.deepEqual(['POST /auth/token']);
    // The cookie is set, and its redeemed sign-in taken out, as response headers.
    type Headed = {responses: Record<string, {headers?: Record<string, {description: string}>}>};
    expect((spec.paths['/auth/authorize'].post as Headed).responses['200'].headers?.['Set-Cookie'].description).to.match(/^The sign-in cookie \(nbh_signin, HttpOnly/);
    expect((spec.paths['/auth/token'].post as Headed).responses['200'].headers?.['Set-Cookie'].description).to.match(/without the redeemed sign-in/);
  });

  it('keeps the spawner\'s route and scheme and the sign-in cookie out of the explorer\'s copy, which people authorize in', async () => {
    const page = await supertest(api.url).get('/explorer/').expect(200);
    expect(page.text).to.containEql('./openapi.json');
    const explorer = (await supertest(api.url).get('/explorer/openapi.json').expect(200)).body as Spec & {components: {securitySchemes: object}};
    expect(Object.keys(explorer.components.securitySchemes)).to.deepEqual(['bearerAuth', 'openbisToken']);
    expect(JSON.stringify(explorer.paths)).not.to.containEql('spawnerToken');
    expect(JSON.stringify(explorer.paths)).not.to.containEql('signInCookie');
    expect(explorer.paths).not.to.have.property('/hub/servers/{hubUser}/{serverName}/launch');
    // The explorer's browser sends the cookie by itself after POST /auth/authorize: nothing to authorize.
    expect((explorer.paths['/auth/token'].post as {security?: unknown}).security).to.deepEqual([]);
    // Everything else is the full spec's.
    const full = await served(api);
    const withoutLaunch = Object.keys(full.paths).filter(route => route !== '/hub/servers/{hubUser}/{serverName}/launch');
    expect(Object.keys(explorer.paths)).to.deepEqual(withoutLaunch);
    expect(explorer.paths['/whoami']).to.deepEqual(full.paths['/whoami']);
    expect(explorer.paths['/volume/file']).to.deepEqual(full.paths['/volume/file']);
  });

  it('declares the progress stream as text of server-sent events, each event\'s data a ServerProgressEvent component', async () => {
    const spec = (await served(api)) as Spec & {components: {schemas: Record<string, unknown>}};
    const ok = (spec.paths['/servers/{id}/progress'].get as {responses: Record<string, {content: Record<string, {schema: Record<string, unknown>}>}>}).responses['200'];
    expect(Object.keys(ok.content)).to.deepEqual(['text/event-stream']);
    const {schema} = ok.content['text/event-stream'];
    expect(schema).to.containDeep({type: 'string', 'x-event-data': {$ref: '#/components/schemas/ServerProgressEvent'}});
    expect(schema).not.to.have.property('items');
    expect(schema.description).to.containEql('#/components/schemas/ServerProgressEvent');
    expect(spec.components.schemas.ServerProgressEvent).to.containDeep({type: 'object', required: ['progress', 'message']});
  });

  type Operation = {operationId?: string; tags?: string[]; summary?: string; security?: unknown[]; parameters?: unknown[]; responses: Record<string, {$ref?: string}>};
  const operationsOf = (spec: Spec) =>
    Object.entries(spec.paths).flatMap(([route, item]) => Object.entries(item).map(([verb, op]) => ({route, verb, op: op as Operation})));

  it('names every operation as a verb on its resource, under one described tag, with a summary', async () => {
    const spec = (await served(api)) as Spec & {tags: Array<{name: string; description: string}>};
    const tags = new Set(spec.tags.filter(tag => tag.description).map(tag => tag.name));
    const ids = new Set<string>();
    for (const {route, verb, op} of operationsOf(spec)) {
      const where = `${verb.toUpperCase()} ${route}`;
      expect({where, id: /^[a-z]+(?:[A-Z][a-z]*)*$/.test(op.operationId ?? '')}).to.deepEqual({where, id: true});
      expect(ids.has(op.operationId!)).to.be.false();
      ids.add(op.operationId!);
      expect({where, tags: op.tags?.length, known: tags.has(op.tags?.[0] ?? '')}).to.deepEqual({where, tags: 1, known: true});
      expect({where, summary: (op.summary ?? '').length > 0}).to.deepEqual({where, summary: true});
    }
  });

  it('declares the error statuses of every operation, each answered with the one Error schema and its codes', async () => {
    const spec = (await served(api)) as Spec & {
      components: {schemas: Record<string, {properties: {error: {properties: {code: {enum: string[]}}}}}>; responses: Record<string, {content: object}>};
    };
    expect(spec.components.schemas.Error.properties.error.properties.code.enum).to.deepEqual(Object.keys(ERROR_CODES));
    for (const {route, verb, op} of operationsOf(spec)) {
      const statuses = Object.keys(op.responses);
      const where = `${verb.toUpperCase()} ${route}`;
      // A token proves who calls (401 without it); the sign-in cookie binds a sign-in, whose absence is a 400.
      const authenticated = (op.security ?? []).some(requirement => Object.keys(requirement as object).some(scheme => scheme !== 'signInCookie'));
      const expected = ['500', ...(authenticated ? ['401', '403'] : []), ...(route.includes('{') ? ['404'] : [])];
      expect({where, missing: expected.filter(status => !statuses.includes(status))}).to.deepEqual({where, missing: []});
      // An operation's own error answer (the health check's 503 lists its checks) is its own schema; the rest share Error.
      for (const status of statuses.filter(s => Number(s) >= 400 && op.responses[s].$ref !== undefined)) {
        const ref = op.responses[status].$ref!;
        const shared = spec.components.responses[ref.replace('#/components/responses/', '')];
        expect({where, status, schema: JSON.stringify(shared?.content)}).to.deepEqual({
          where,
          status,
          schema: JSON.stringify({'application/json': {schema: {$ref: '#/components/schemas/Error'}}}),
        });
      }
    }
  });

  it('answers every stored resource with its `_id`: required and read-only in each resource schema, in no request body', async () => {
    type Schema = {properties?: Record<string, {readOnly?: boolean}>; required?: string[]; $ref?: string};
    const spec = (await served(api)) as Spec & {components: {schemas: Record<string, Schema>}};
    const resources = Object.entries(spec.components.schemas).filter(([, schema]) => schema.properties?._id);
    expect(resources.map(([name]) => name).sort()).to.deepEqual(
      ['Dataset', 'Group', 'Module', 'Secret', 'SecretWithValue', 'Server', 'Template', 'TrashedDataset', 'TrashedModule'],
    );
    for (const [name, schema] of resources) {
      expect({name, required: schema.required?.includes('_id'), readOnly: schema.properties!._id.readOnly}).to.deepEqual({name, required: true, readOnly: true});
    }
    const bodies = operationsOf(spec).flatMap(({op}) =>
      Object.values((op as {requestBody?: {content: Record<string, {schema: Schema}>}}).requestBody?.content ?? {}).map(media => media.schema),
    );
    const named = (schema: Schema): Schema[] => {
      if (schema.$ref) return named(spec.components.schemas[schema.$ref.replace('#/components/schemas/', '')]);
      const members = (schema as {anyOf?: Schema[]}).anyOf ?? [];
      return [schema, ...members.flatMap(named)];
    };
    expect(bodies.flatMap(named).filter(schema => schema.properties?._id !== undefined || schema.required?.includes('_id'))).to.deepEqual([]);
  });

  it('refuses an `_id` sent in a body, naming it, and stores nothing: the store gives every id', async () => {
    const {access_token: token} = await signIn(api.url, 'bob@example.org');
    const res = await supertest(api.url).post('/datasets').auth(token, {type: 'bearer'}).send({name: 'Chosen id', _id: 'mine'}).expect(400);
    expect(res.body.error).to.containDeep({code: 'validation_failed', details: [{path: '/_id'}]});
    const listed = await supertest(api.url).get('/datasets').auth(token, {type: 'bearer'}).expect(200);
    expect(listed.body).to.deepEqual([]);
  });

  type Media = {schema?: {$ref?: string; type?: string; properties?: object; items?: unknown}; example?: unknown};
  type Answer = {$ref?: string; content?: Record<string, Media>};
  /** Each operation's success answers, shared ones (components.responses) resolved. */
  const successesOf = (spec: Spec & {components: {responses: Record<string, Answer>}}) =>
    operationsOf(spec).flatMap(({route, verb, op}) =>
      Object.entries(op.responses as Record<string, Answer>)
        .filter(([status]) => Number(status) < 300)
        .map(([status, answer]) => ({
          where: `${verb.toUpperCase()} ${route} ${status}`,
          route,
          verb,
          status,
          shared: answer.$ref,
          answer: answer.$ref ? spec.components.responses[answer.$ref.replace('#/components/responses/', '')] : answer,
        })),
    );

  it('names every object it answers or takes: none inline, no inline schema twice, one shared answer for every access list', async () => {
    const spec = (await served(api)) as Spec & {components: {responses: Record<string, Answer>}};
    const bodies = operationsOf(spec).map(({route, verb, op}) => ({
      where: `${verb.toUpperCase()} ${route} body`,
      content: (op as {requestBody?: {content: Record<string, Media>}}).requestBody?.content ?? {},
    }));
    // A shared answer is declared once, however many operations give it.
    const answers = successesOf(spec).filter(({shared}, index, all) => !shared || all.findIndex(other => other.shared === shared) === index);
    const inline = [...bodies, ...answers.map(({where, answer}) => ({where, content: answer.content ?? {}}))].flatMap(({where, content}) =>
      Object.entries(content)
        .filter(([, media]) => media.schema && !media.schema.$ref)
        .map(([type, media]) => ({where: `${where} ${type}`, schema: media.schema!})),
    );
    // An object is a named component: directly, or as the items of an array.
    const objects = inline.filter(({schema}) => schema.properties ?? (schema.items as {properties?: object} | undefined)?.properties);
    expect(objects.map(({where}) => where)).to.deepEqual([]);
    const seen = new Map<string, string>();
    const repeated = inline.flatMap(({where, schema}) => {
      const text = JSON.stringify(schema);
      const first = seen.get(text);
      seen.set(text, first ?? where);
      return first ? [`${where} repeats ${first}`] : [];
    });
    expect(repeated).to.deepEqual([]);

    const accessLists = successesOf(spec).filter(({shared}) => shared === '#/components/responses/AccessList');
    const kinds = ['Dataset', 'Module', 'Secret', 'Server', 'Template'];
    expect(accessLists.map(({route, verb}) => (spec.paths[route][verb] as Operation).operationId).sort()).to.deepEqual(
      kinds.flatMap(kind => [`list${kind}Access`, `share${kind}`, `revoke${kind}Access`]).sort(),
    );
  });

  it('gives every success answer with a JSON body an example, which the contract check accepts as that answer', async () => {
    const spec = (await served(api)) as Spec & {components: {responses: Record<string, Answer>}};
    const checked: string[] = [];
    const problems: string[] = [];
    for (const {where, route, verb, status, answer} of successesOf(spec)) {
      for (const [type, media] of Object.entries(answer.content ?? {}).filter(([name]) => /[/+]json$/.test(name))) {
        if (media.example === undefined) {
          problems.push(`${where} ${type} has no example`);
          continue;
        }
        const text = JSON.stringify(media.example);
        const found = exampleDisagreement(verb.toUpperCase(), route, {status: Number(status), headers: {'content-type': type}, text, body: media.example});
        if (found) problems.push(`${where} ${type}: ${found}`);
        checked.push(`${where} ${type}`);
      }
    }
    expect(problems).to.deepEqual([]);
    // Only text (the metrics, the progress stream) and empty answers (204) were not checked.
    const unchecked = operationsOf(spec).filter(({route, verb}) => !checked.some(where => where.startsWith(`${verb.toUpperCase()} ${route} `)));
    expect(unchecked.map(({op}) => op.operationId).sort()).to.deepEqual(
      ['deleteCheckpoint', 'deleteDataset', 'deleteGroup', 'deleteModule', 'deleteSecret', 'deleteServer', 'deleteTemplate', 'getMetrics', 'streamServerProgress'],
    );
  });

  it('names its schemas as clients should see them: no framework artefacts, no internal classes', async () => {
    const spec = (await served(api)) as Spec & {components: {schemas: Record<string, unknown>}};
    const names = Object.keys(spec.components.schemas);
    expect(names.filter(name => /Excluding|_|Service$|Controller$/.test(name))).to.deepEqual([]);
    expect(JSON.stringify(spec)).to.not.match(/\(tsType: /);
  });
});
