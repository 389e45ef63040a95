/**
 * `npm run bench`: the API (production settings, embedded store) and a bare
 * Node reference doing the same work, measured in one run with autocannon
 * at 10 connections. Prints req/s, p50 and p99 per route and the ratio to
 * the reference, and writes the same as JSON under bench/results/. Figures
 * are printed, never asserted: the machine is shared and noisy.
 */
import autocannon from 'autocannon';
import {ChildProcess, fork} from 'node:child_process';
import {randomUUID} from 'node:crypto';
import {promises as fs, readFileSync} from 'node:fs';
import path from 'node:path';
import {PAGINATION_MEDIA_TYPE} from '../src/services/pagination.service';
import {freePort, freePorts} from '../test/fixtures/free-port';
import {temporaryFolder} from '../test/fixtures/test-app';
import {TestIdentityProvider} from '../test/fixtures/test-identity-provider';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
/** Measure only the routes whose label matches (e.g. BENCH_ROUTES='servers' while profiling). */
const ROUTE_FILTER = new RegExp(process.env.BENCH_ROUTES ?? '.');
const CONNECTIONS = 10;
/** Seconds of load on a route before it is measured. */
const WARMUP_S = 1;
const ROOT = path.resolve(__dirname, '../..');
const BENCH_USER = 'bench@lab.org';
/** Datasets of the bench user in each large store, written into its file before that store's API starts. */
const LARGE_STORES = [10_000, 100_000];

/** First pages of a large store's dataset list, as a plain array and as the envelope, whose total counts every readable row. */
function largeStoreRoutes(datasets: number): Route[] {
  return [
    {label: `GET /datasets?limit=50 (${datasets} datasets)`, route: '/datasets?limit=50'},
    {label: `GET /datasets?limit=50 envelope (${datasets} datasets)`, route: '/datasets?limit=50', accept: PAGINATION_MEDIA_TYPE},
  ];
}

interface Measurement {
  route: string;
  target: 'api' | 'reference';
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  bytesPerResponse: number;
  /** The API's peak RSS once this route was measured, in MB (tells which route raised it). */
  peakRssMb?: number;
}

/** Starts a child, ready when its output matches, it sends a message, or (`{live: url}`) the URL answers 200. */
function startChild(
  script: string,
  env: Record<string, string>,
  ready: RegExp | 'message' | {live: string},
  execArgv: string[] = [],
): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [], {env: {...process.env, ...env}, execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc']});
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (ready instanceof RegExp && ready.test(output)) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    if (ready === 'message') child.once('message', () => resolve(child));
    if (typeof ready === 'object' && !(ready instanceof RegExp)) {
      const poll = () => {
        if (child.exitCode !== null) return;
        fetch(ready.live).then(
          res => (res.status === 200 ? resolve(child) : setTimeout(poll, 20)),
          () => setTimeout(poll, 20),
        );
      };
      poll();
    }
    child.once('exit', code => reject(new Error(`${script} exited with ${code}:\n${output}`)));
  });
}

async function call(url: string, token: string, init: RequestInit = {}, accept = 'application/json'): Promise<unknown> {
  const res = await fetch(url, {...init, headers: {Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: accept}});
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function measure(
  route: string,
  target: Measurement['target'],
  url: string,
  token: string,
  {post, accept = 'application/json'}: {post?: string; accept?: string} = {},
): Promise<Measurement> {
  const load = {
    url,
    connections: CONNECTIONS,
    method: post ? ('POST' as const) : ('GET' as const),
    body: post,
    headers: {Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: accept},
  };
  // Unmeasured: the route's code compiled and optimised, as in a process that has served it before.
  await autocannon({...load, duration: WARMUP_S});
  const result = await autocannon({...load, duration: DURATION_S});
  return {
    route,
    target,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    bytesPerResponse: Math.round(result.throughput.total / Math.max(1, result.requests.total)),
  };
}

/** An API and its bare Node reference, serving the same answers. */
interface Target {
  api: ChildProcess;
  apiUrl: string;
  reference: {child: ChildProcess; url: string};
}

/** A route as measured: label, path, and the Accept header or the body it is sent with. */
interface Route {
  label: string;
  route: string;
  accept?: string;
  post?: string;
}

async function main(): Promise<void> {
  const ports = await freePorts(1 + LARGE_STORES.length);
  const urls = ports.map(port => `http://127.0.0.1:${port}`);
  const provider = await TestIdentityProvider.start({
    clientId: 'notebooks-hub',
    audience: 'notebooks-hub',
    redirectUris: urls.map(url => `${url}/`),
    postLogoutRedirectUris: [`${urls[0]}/`],
  });
  const children: ChildProcess[] = [];
  const results: Measurement[] = [];
  let peakRssMb = 0;
  let seededRssMb = 0;
  let startupMs = 0;
  const largePeaks: Record<string, number> = {};
  try {
    const token = await provider.sign(provider.accessTokenClaims(BENCH_USER));
    // The large stores are written and their APIs started first, so that their pages are measured right after the 200-dataset list.
    const large: Array<{datasets: number; target: Target; routes: Route[]}> = [];
    for (const [i, datasets] of LARGE_STORES.entries()) {
      const routes = largeStoreRoutes(datasets).filter(r => ROUTE_FILTER.test(r.label));
      if (routes.length === 0) continue;
      const api = await startLargeStore(provider, token, ports[1 + i], datasets);
      children.push(api);
      const reference = await startReferenceFor(provider, urls[1 + i], token, routes);
      children.push(reference.child);
      large.push({datasets, target: {api, apiUrl: urls[1 + i], reference}, routes});
    }

    const started = Date.now();
    const api = await startApi(ports[0], provider, await temporaryFolder('bench'));
    startupMs = Date.now() - started;
    children.push(api);
    const apiUrl = urls[0];
    await seed(apiUrl, token);
    seededRssMb = await peakRss(api.pid!);
    const [firstServer] = (await call(`${apiUrl}/servers?limit=1`, token)) as Array<{_id: string}>;
    const notebook = JSON.stringify({type: 'notebook', name: 'bench.ipynb', content: megabyteNotebook()});
    const routeOf = (label: string, route: string, more: Partial<Route> = {}): Route => ({label, route, ...more});
    const before: Route[] = [
      routeOf('GET /servers/{id}', `/servers/${firstServer._id}`),
      routeOf('GET /servers', '/servers'),
      routeOf('GET /templates', '/templates'),
      routeOf('GET /datasets', '/datasets'),
    ];
    const after: Route[] = [routeOf('GET /version', '/version'), routeOf('POST /volume/file (1 MB notebook)', '/volume/file', {post: notebook})];
    const mainRoutes = [...before, ...after].filter(r => ROUTE_FILTER.test(r.label));
    const reference = await startReferenceFor(provider, apiUrl, token, mainRoutes, ['/version']);
    children.push(reference.child);
    const mainTarget: Target = {api, apiUrl, reference};

    const plan: Array<{target: Target; route: Route}> = [
      ...before.filter(r => mainRoutes.includes(r)).map(route => ({target: mainTarget, route})),
      ...large.flatMap(({target, routes}) => routes.map(route => ({target, route}))),
      ...after.filter(r => mainRoutes.includes(r)).map(route => ({target: mainTarget, route})),
    ];
    for (const {target, route} of plan) {
      const options = {accept: route.accept, post: route.post};
      results.push({...(await measure(route.label, 'api', `${target.apiUrl}${route.route}`, token, options)), peakRssMb: await peakRss(target.api.pid!)});
      results.push(await measure(route.label, 'reference', `${target.reference.url}${route.route}`, token, options));
    }
    peakRssMb = await peakRss(api.pid!);
    for (const {datasets, target} of large) largePeaks[String(datasets)] = await peakRss(target.api.pid!);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await provider.stop();
  }
  report(results, startupMs, peakRssMb, seededRssMb, largePeaks);
}

/** The bench user's 200 templates, 200 (stopped) servers of the first one, and 200 datasets. */
async function seed(apiUrl: string, token: string): Promise<void> {
  const template = (await call(`${apiUrl}/template`, token, {
    method: 'POST',
    body: JSON.stringify({name: 'Bench', description: 'Bench', applicationType: 'JupyterLab', hardware: 'small', type: 'custom', public: false, tags: ['bench']}),
  })) as {_id: string};
  for (let i = 0; i < 199; i++) {
    await call(`${apiUrl}/template`, token, {
      method: 'POST',
      body: JSON.stringify({name: `Bench ${i}`, description: 'Bench', applicationType: 'JupyterLab', hardware: 'small', type: 'custom', public: false}),
    });
  }
  for (let i = 0; i < 200; i++) {
    await call(`${apiUrl}/servers?templateId=${template._id}&start=false`, token, {method: 'PUT'});
  }
  for (let i = 0; i < 200; i++) {
    await call(`${apiUrl}/datasets`, token, {method: 'POST', body: JSON.stringify({name: `Bench ${i}`})});
  }
}

/** The reference for an API's GET routes (their answers read from the API first) and uploads. */
async function startReferenceFor(
  provider: TestIdentityProvider,
  apiUrl: string,
  token: string,
  routes: Route[],
  publicRoutes: string[] = [],
): Promise<{child: ChildProcess; url: string}> {
  const bodies: Record<string, unknown> = {};
  const envelopes: Record<string, unknown> = {};
  for (const {route, accept, post} of routes) {
    if (!post) (accept ? envelopes : bodies)[route] = await call(`${apiUrl}${route}`, token, {}, accept);
  }
  return startReference(provider, {bodies, envelopes, public: publicRoutes});
}

function startApi(port: number, provider: TestIdentityProvider, dataDir: string): Promise<ChildProcess> {
  const url = `http://127.0.0.1:${port}`;
  // At warn the API does not log that it listens: it is up once it answers.
  return startChild(path.join(ROOT, 'dist/src/index.js'), {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: url,
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    OIDC_ISSUER: provider.issuer,
    OIDC_ALLOW_HTTP: 'true',
    AUTH_STATE_SECRET: 'bench-secret-bench-secret-bench-secret',
    // One user seeds hundreds of records and uploads for seconds on end: limited, the bench would time 429s.
    RATE_LIMIT_WRITES_PER_MINUTE: '0',
  }, {live: `${url}/health/live`}, (process.env.BENCH_API_NODE_ARGS ?? startNodeArgs()).split(' ').filter(Boolean));
}

/** The Node.js options `npm start` (and the image) runs the API with: measured as it runs. */
function startNodeArgs(): string {
  const {scripts} = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {scripts: {start: string}};
  return scripts.start.replace(/^node\s+/, '').replace(/\s*dist\/src\/index\.js$/, '');
}

/** The reference server answering `bodies` per URL, and `envelopes` per URL to clients asking for the pagination envelope. */
async function startReference(
  provider: TestIdentityProvider,
  answers: {bodies: Record<string, unknown>; envelopes?: Record<string, unknown>; public?: string[]},
): Promise<{child: ChildProcess; url: string}> {
  const jwks = await (await fetch(`${provider.issuer}/jwks`)).json();
  const port = await freePort();
  // The setup is too large for an environment variable: it goes by file.
  const setupFile = path.join(await temporaryFolder('bench-reference'), 'setup.json');
  await fs.writeFile(
    setupFile,
    JSON.stringify({
      port,
      issuer: provider.issuer,
      audience: 'notebooks-hub',
      jwks,
      bodies: answers.bodies,
      envelopes: answers.envelopes ?? {},
      envelopeMediaType: PAGINATION_MEDIA_TYPE,
      public: answers.public ?? [],
      writeDir: path.dirname(setupFile),
    }),
  );
  const child = await startChild(path.join(__dirname, 'reference-server.js'), {REFERENCE_SETUP_FILE: setupFile}, 'message');
  return {child, url: `http://127.0.0.1:${port}`};
}

/**
 * An API whose store holds `datasets` datasets of the bench user. Creating
 * them through the API would rewrite the whole store file for each: the API
 * writes one, and its row is copied in the store file while the API is
 * stopped.
 */
async function startLargeStore(provider: TestIdentityProvider, token: string, port: number, datasets: number): Promise<ChildProcess> {
  const dataDir = await temporaryFolder('bench-large');
  const seeding = await startApi(port, provider, dataDir);
  await call(`http://127.0.0.1:${port}/datasets`, token, {method: 'POST', body: JSON.stringify({name: 'Bench', description: 'Bench dataset'})});
  await new Promise(resolve => seeding.once('exit', resolve).kill('SIGTERM'));
  const file = path.join(dataDir, 'db.json');
  const store = JSON.parse(await fs.readFile(file, 'utf8')) as {ids: Record<string, number>; models: Record<string, Record<string, string>>};
  const [row] = Object.values(store.models.Dataset).map(json => JSON.parse(json) as object);
  store.models.Dataset = {};
  for (let i = 0; i < datasets; i++) {
    const _id = randomUUID();
    store.models.Dataset[_id] = JSON.stringify({...row, _id, name: `Bench ${i}`});
  }
  await fs.writeFile(file, JSON.stringify(store));
  return startApi(port, provider, dataDir);
}

/** A valid nbformat 4.5 notebook of about 1 MB. */
function megabyteNotebook(): object {
  const line = 'x = 1  # ' + 'a'.repeat(90) + '\n';
  const cells = Array.from({length: 100}, (_, i) => ({
    cell_type: 'code',
    id: `cell-${i}`,
    metadata: {},
    execution_count: null,
    outputs: [],
    source: Array(100).fill(line),
  }));
  return {cells, metadata: {}, nbformat: 4, nbformat_minor: 5};
}

/** The process's peak resident set (VmHWM), in MB. */
async function peakRss(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

function report(results: Measurement[], startupMs: number, peakRssMb: number, seededRssMb: number, largePeaks: Record<string, number>): void {
  const rows = results.map(r => {
    const ref = results.find(o => o.route === r.route && o.target === 'reference')!;
    return {...r, ratioToReference: Number((r.requestsPerSecond / ref.requestsPerSecond).toFixed(3))};
  });
  console.log(
    `\nNotebooks Hub API benchmark: ${CONNECTIONS} connections, ${DURATION_S} s per route; ` +
      `API start to listening ${startupMs} ms, API peak RSS ${peakRssMb} MB (${seededRssMb} MB once seeded); ` +
      `peak RSS of the large stores' APIs: ${Object.entries(largePeaks).map(([datasets, mb]) => `${mb} MB (${datasets} datasets)`).join(', ') || 'not run'}\n`,
  );
  console.log('| route | target | req/s | p50 ms | p99 ms | ratio | errors | non-2xx | bytes | peak RSS MB |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.route} | ${r.target} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.ratioToReference} | ${r.errors} | ${r.non2xx} | ${r.bytesPerResponse} | ${r.peakRssMb ?? ''} |`);
  }
  const file = path.join(ROOT, 'bench/results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.mkdir(path.dirname(file), {recursive: true})
    .then(() =>
      fs.writeFile(
        file,
        JSON.stringify(
          {date: new Date().toISOString(), connections: CONNECTIONS, durationSeconds: DURATION_S, startupMs, peakRssMb, seededRssMb, largeStorePeakRssMb: largePeaks, results: rows},
          null,
          2,
        ),
      ),
    )
    .then(() => console.log(`\nWritten to ${path.relative(ROOT, file)}`))
    .catch(err => console.error(err));
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
