/**
 * `npm run bench`: the API (production settings) on the embedded store, the
 * same API on FerretDB (MongoDB's wire protocol, built by
 * scripts/ensure-ferretdb.sh), and a bare Node reference doing the same
 * work, measured in one run with autocannon at 10 connections (after one
 * request alone, timed; a route slower than a second alone is not loaded).
 * Prints req/s, p50 and p99 per route and the ratio to the reference, and writes the same
 * as JSON under bench/results/. Figures are printed, never asserted: the
 * machine is shared and noisy.
 */
import autocannon from 'autocannon';
import {ChildProcess, fork} from 'node:child_process';
import {randomUUID} from 'node:crypto';
import {promises as fs, readFileSync} from 'node:fs';
import path from 'node:path';
import {juggler} from '@loopback/repository';
import {PAGINATION_MEDIA_TYPE} from '../src/services/pagination.service';
import {FerretDb} from '../test/fixtures/ferretdb';
import {freePort, freePorts} from '../test/fixtures/free-port';
import {temporaryFolder} from '../test/fixtures/test-app';
import {TestIdentityProvider} from '../test/fixtures/test-identity-provider';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
/** Measure only the routes whose label matches (e.g. BENCH_ROUTES='servers' while profiling). */
const ROUTE_FILTER = new RegExp(process.env.BENCH_ROUTES ?? '.');
const CONNECTIONS = 10;
/** Seconds of load on a route before it is measured. */
const WARMUP_S = 2;
/**
 * A route whose one request alone takes longer is not put under load: ten
 * connections would finish none within the measurement and leave their
 * queries running into the next route's.
 */
const TOO_SLOW_FOR_LOAD_MS = 1000;
/** Seconds of load per route on a large store's API once started (see settle). */
const LARGE_STORE_SETTLE_S = 5;
const ROOT = path.resolve(__dirname, '../..');
const BENCH_USER = 'bench@lab.org';
/** Datasets of the bench user in each large store, written into its store before that store's API answers. */
const LARGE_STORES = [10_000, 100_000];

/** A route as measured: label, path, and the Accept header or the body it is sent with. */
interface Route {
  label: string;
  route: string;
  accept?: string;
  post?: string;
}

/** First pages of a large store's dataset list, as a plain array and as the envelope, whose total counts every readable row. */
function largeStoreRoutes(datasets: number): Route[] {
  return [
    {label: `GET /datasets?limit=50 (${datasets} datasets)`, route: '/datasets?limit=50'},
    {label: `GET /datasets?limit=50 envelope (${datasets} datasets)`, route: '/datasets?limit=50', accept: PAGINATION_MEDIA_TYPE},
  ].filter(r => ROUTE_FILTER.test(r.label));
}

/** The API on the embedded store, the API on FerretDB, and the bare Node reference. */
type Target = 'api' | 'api on FerretDB' | 'reference';
type ApiTarget = Exclude<Target, 'reference'>;

/** What a seeded API was measured at besides its routes. */
interface ApiFigures {
  target: ApiTarget;
  startupMs: number;
  peakRssMb: number;
  seededRssMb: number;
  /** Peak RSS of the API holding each large store, by its number of datasets. */
  largeStorePeakRssMb: Record<string, number>;
}

/** An API on a large store, started before the measurements, with the reference answering its pages. */
interface LargeStore {
  datasets: number;
  api: ChildProcess;
  url: string;
  routes: Route[];
  reference?: {child: ChildProcess; url: string};
}

interface Measurement {
  route: string;
  target: Target;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  bytesPerResponse: number;
  /** The time of one request with nothing else in flight, before the load. */
  aloneMs: number;
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
  const started = performance.now();
  const alone = await fetch(url, {method: load.method, body: post, headers: load.headers});
  const bytes = (await alone.arrayBuffer()).byteLength;
  const aloneMs = Math.round(performance.now() - started);
  if (aloneMs > TOO_SLOW_FOR_LOAD_MS) {
    return {route, target, requestsPerSecond: 0, p50Ms: aloneMs, p99Ms: aloneMs, errors: 0, non2xx: alone.ok ? 0 : 1, bytesPerResponse: bytes, aloneMs};
  }
  // Unmeasured: the route's code compiled and optimised, as in a process that has served it before.
  await autocannon({...load, duration: WARMUP_S});
  const result = await autocannon({...load, duration: DURATION_S});
  return {
    route,
    target,
    aloneMs,
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    bytesPerResponse: Math.round(result.throughput.total / Math.max(1, result.requests.total)),
  };
}

async function main(): Promise<void> {
  const ports = await freePorts(2 * (1 + LARGE_STORES.length));
  const provider = await TestIdentityProvider.start({
    clientId: 'notebooks-hub',
    audience: 'notebooks-hub',
    redirectUris: ports.map(port => `http://127.0.0.1:${port}/`),
    postLogoutRedirectUris: [`http://127.0.0.1:${ports[0]}/`],
  });
  const ferretDb = await FerretDb.start();
  const results: Measurement[] = [];
  const figures: ApiFigures[] = [];
  try {
    const token = await provider.sign(provider.accessTokenClaims(BENCH_USER));
    const [embeddedPorts, ferretPorts] = [ports.slice(0, ports.length / 2), ports.slice(ports.length / 2)];
    const embedded = await measureSeededApi('api', embeddedPorts, provider, token, () => ({}));
    const onFerretDb = await measureSeededApi('api on FerretDB', ferretPorts, provider, token, name => ({MONGO_URL: `${ferretDb.url}${name}`}));
    results.push(...embedded.results, ...onFerretDb.results);
    figures.push(embedded.figures, onFerretDb.figures);
  } finally {
    await ferretDb.stop();
    await provider.stop();
  }
  await report(results, figures);
}

/**
 * One user's 200 templates, 200 servers and 200 datasets seeded through the
 * API on a fresh store, then its routes measured; on the embedded store the
 * reference beside it, answering the bodies the API answered. The APIs on
 * the large stores (one port each after the first) are started first, so
 * that their pages are measured right after the 200-dataset list, on a
 * machine in the same state.
 */
async function measureSeededApi(
  target: ApiTarget,
  [port, ...largeStorePorts]: number[],
  provider: TestIdentityProvider,
  token: string,
  storeEnv: (database: string) => Record<string, string>,
): Promise<{results: Measurement[]; figures: ApiFigures}> {
  const withReference = target === 'api';
  const largeStores: LargeStore[] = [];
  let api: ChildProcess | undefined;
  let reference: ChildProcess | undefined;
  try {
    for (const [i, datasets] of LARGE_STORES.entries()) {
      const routes = largeStoreRoutes(datasets);
      if (routes.length === 0) continue;
      const env = storeEnv(`bench_large_${datasets}`);
      const url = `http://127.0.0.1:${largeStorePorts[i]}`;
      const largeApi = await (env.MONGO_URL
        ? startLargeStoreOnMongoDb(provider, token, largeStorePorts[i], datasets, env)
        : startLargeStore(provider, token, largeStorePorts[i], datasets));
      const store: LargeStore = {datasets, api: largeApi, url, routes};
      largeStores.push(store);
      // On FerretDB a large store's page takes seconds alone: it is not put under load (TOO_SLOW_FOR_LOAD_MS).
      if (withReference) {
        store.reference = await startReferenceFor(provider, url, token, routes);
        await settle(url, token, routes);
      }
    }

    const apiUrl = `http://127.0.0.1:${port}`;
    const started = Date.now();
    api = await startApi(port, provider, await temporaryFolder('bench'), storeEnv('bench'));
    const startupMs = Date.now() - started;
    await seed(apiUrl, token);
    const seededRssMb = await peakRss(api.pid!);
    const [firstServer] = (await call(`${apiUrl}/servers?limit=1`, token)) as Array<{_id: string}>;
    const notebook = JSON.stringify({type: 'notebook', name: 'bench.ipynb', content: megabyteNotebook()});
    const before: Route[] = [
      {label: 'GET /servers/{id}', route: `/servers/${firstServer._id}`},
      {label: 'GET /servers', route: '/servers'},
      {label: 'GET /templates', route: '/templates'},
      {label: 'GET /datasets', route: '/datasets'},
    ].filter(r => ROUTE_FILTER.test(r.label));
    const after: Route[] = [
      {label: 'GET /version', route: '/version'},
      {label: 'POST /volume/file (1 MB notebook)', route: '/volume/file', post: notebook},
    ].filter(r => ROUTE_FILTER.test(r.label));
    const referenceSetup = withReference ? await startReferenceFor(provider, apiUrl, token, [...before, ...after], ['/version']) : undefined;
    reference = referenceSetup?.child;

    const results: Measurement[] = [];
    const measureOn = async (apiProcess: ChildProcess, url: string, referenceUrl: string | undefined, route: Route) => {
      const options = {accept: route.accept, post: route.post};
      results.push({...(await measure(route.label, target, `${url}${route.route}`, token, options)), peakRssMb: await peakRss(apiProcess.pid!)});
      if (referenceUrl) results.push(await measure(route.label, 'reference', `${referenceUrl}${route.route}`, token, options));
    };
    for (const route of before) await measureOn(api, apiUrl, referenceSetup?.url, route);
    for (const store of largeStores) for (const route of store.routes) await measureOn(store.api, store.url, store.reference?.url, route);
    for (const route of after) await measureOn(api, apiUrl, referenceSetup?.url, route);

    const largeStorePeakRssMb: Record<string, number> = {};
    for (const store of largeStores) largeStorePeakRssMb[String(store.datasets)] = await peakRss(store.api.pid!);
    return {results, figures: {target, startupMs, peakRssMb: await peakRss(api.pid!), seededRssMb, largeStorePeakRssMb}};
  } finally {
    for (const child of [api, reference, ...largeStores.flatMap(store => [store.api, store.reference?.child])]) if (child) await stopChild(child);
  }
}

/**
 * Load, unmeasured, on a large store's routes just after its API started:
 * the first seconds of a process that has just parsed and indexed 100,000
 * rows ran slower than the same route later (whichever route came first),
 * which the route's own warm-up did not absorb; a process serving lists
 * in production has long left them behind.
 */
async function settle(url: string, token: string, routes: Route[]): Promise<void> {
  for (const {route, accept = 'application/json'} of routes) {
    await autocannon({url: `${url}${route}`, connections: CONNECTIONS, duration: LARGE_STORE_SETTLE_S, headers: {Authorization: `Bearer ${token}`, Accept: accept}});
  }
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

/** SIGTERM, and once it has exited. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise(resolve => child.once('exit', resolve).kill('SIGTERM'));
}

function startApi(port: number, provider: TestIdentityProvider, dataDir: string, storeEnv: Record<string, string> = {}): Promise<ChildProcess> {
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
    ...storeEnv,
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
 * An API whose embedded store holds `datasets` datasets of the bench user.
 * Creating them through the API would rewrite the whole store file for
 * each: the API writes one, and its row is copied in the store file while
 * the API is stopped.
 */
async function startLargeStore(provider: TestIdentityProvider, token: string, port: number, datasets: number): Promise<ChildProcess> {
  const dataDir = await temporaryFolder('bench-large');
  const seeding = await startApi(port, provider, dataDir);
  await call(`http://127.0.0.1:${port}/datasets`, token, {method: 'POST', body: JSON.stringify({name: 'Bench', description: 'Bench dataset'})});
  await stopChild(seeding);
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

/** The same on MongoDB (FerretDB here): the API writes one dataset, and its document is copied in the collection. */
async function startLargeStoreOnMongoDb(
  provider: TestIdentityProvider,
  token: string,
  port: number,
  datasets: number,
  storeEnv: Record<string, string>,
): Promise<ChildProcess> {
  const api = await startApi(port, provider, await temporaryFolder('bench-large'), storeEnv);
  await call(`http://127.0.0.1:${port}/datasets`, token, {method: 'POST', body: JSON.stringify({name: 'Bench', description: 'Bench dataset'})});
  const dataSource = new juggler.DataSource({connector: 'mongodb', url: storeEnv.MONGO_URL});
  try {
    await dataSource.connect();
    type Collection = {findOne(): Promise<object>; deleteMany(filter: object): Promise<unknown>; insertMany(rows: object[]): Promise<unknown>};
    const collection = (dataSource.connector as unknown as {db: {collection(name: string): Collection}}).db.collection('Dataset');
    const row = await collection.findOne();
    await collection.deleteMany({});
    for (let i = 0; i < datasets; i += 1000) {
      const copies = Array.from({length: Math.min(1000, datasets - i)}, (_, j) => ({...row, _id: randomUUID(), name: `Bench ${i + j}`}));
      await collection.insertMany(copies);
    }
  } finally {
    await dataSource.disconnect();
  }
  return api;
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

async function report(results: Measurement[], figures: ApiFigures[]): Promise<void> {
  const rows = results.map(r => {
    const ref = results.find(o => o.route === r.route && o.target === 'reference')!;
    return {...r, ratioToReference: Number((r.requestsPerSecond / ref.requestsPerSecond).toFixed(3))};
  });
  const apis = figures.map(f => {
    const large = Object.entries(f.largeStorePeakRssMb).map(([datasets, mb]) => `, ${mb} MB with ${datasets} datasets`);
    return `${f.target}: start to listening ${f.startupMs} ms, peak RSS ${f.peakRssMb} MB (${f.seededRssMb} MB once seeded)${large.join('')}`;
  });
  console.log(`\nNotebooks Hub API benchmark: ${CONNECTIONS} connections, ${DURATION_S} s per route; ${apis.join('; ')}\n`);
  console.log('| route | target | req/s | p50 ms | p99 ms | ratio | errors | non-2xx | bytes | one request alone, ms | peak RSS MB |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  // Each route's rows together: the API on either store beside the reference.
  const order = [...new Set(rows.map(r => r.route))];
  for (const r of [...rows].sort((a, b) => order.indexOf(a.route) - order.indexOf(b.route))) {
    console.log(`| ${r.route} | ${r.target} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.ratioToReference} | ${r.errors} | ${r.non2xx} | ${r.bytesPerResponse} | ${r.aloneMs} | ${r.peakRssMb ?? ''} |`);
  }
  const file = path.join(ROOT, 'bench/results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await fs.mkdir(path.dirname(file), {recursive: true});
  await fs.writeFile(
    file,
    JSON.stringify({date: new Date().toISOString(), connections: CONNECTIONS, durationSeconds: DURATION_S, apis: figures, results: rows}, null, 2),
  );
  console.log(`\nWritten to ${path.relative(ROOT, file)}`);
}

// Every server the bench started is stopped by then; the MongoDB driver's
// pool of the FerretDB seeding may still hold the event loop, and a bench
// that never returns stops `npm run bench` and whatever scripts call it.
main().then(
  () => process.exit(0),
  err => {
    console.error(err);
    process.exit(1);
  },
);
