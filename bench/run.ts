/**
 * `npm run bench`: the API (production settings) on the embedded store, the
 * same API on FerretDB (MongoDB's wire protocol, built by
 * scripts/ensure-ferretdb.sh), and a bare Node reference doing the same
 * work, measured in one run with autocannon at 10 connections. Prints req/s,
 * p50 and p99 per route and the ratio to the reference, and writes the same
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
const ROOT = path.resolve(__dirname, '../..');
const BENCH_USER = 'bench@lab.org';
/** Datasets of the bench user in the large store, written into its file before that API starts. */
const LARGE_STORE_DATASETS = 10_000;

interface LargeStoreRoute {
  label: string;
  route: string;
  accept?: string;
}

/** First pages of the large store's dataset list, as a plain array and as the envelope, whose total counts every readable row. */
const LARGE_STORE_ROUTES: LargeStoreRoute[] = [
  {label: `GET /datasets?limit=50 (${LARGE_STORE_DATASETS} datasets)`, route: '/datasets?limit=50'},
  {label: `GET /datasets?limit=50 envelope (${LARGE_STORE_DATASETS} datasets)`, route: '/datasets?limit=50', accept: PAGINATION_MEDIA_TYPE},
];

/** The API on the embedded store, the API on FerretDB, and the bare Node reference. */
type Target = 'api' | 'api on FerretDB' | 'reference';
type ApiTarget = Exclude<Target, 'reference'>;

/** What a seeded API was measured at besides its routes. */
interface ApiFigures {
  target: ApiTarget;
  startupMs: number;
  peakRssMb: number;
  seededRssMb: number;
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
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    method: post ? 'POST' : 'GET',
    body: post,
    headers: {Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: accept},
  });
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

async function main(): Promise<void> {
  const [apiPort, ferretApiPort, largeStorePort] = await freePorts(3);
  const provider = await TestIdentityProvider.start({
    clientId: 'notebooks-hub',
    audience: 'notebooks-hub',
    redirectUris: [apiPort, ferretApiPort, largeStorePort].map(port => `http://127.0.0.1:${port}/`),
    postLogoutRedirectUris: [`http://127.0.0.1:${apiPort}/`],
  });
  const ferretDb = await FerretDb.start();
  const results: Measurement[] = [];
  const figures: ApiFigures[] = [];
  try {
    const token = await provider.sign(provider.accessTokenClaims(BENCH_USER));
    const embedded = await measureSeededApi('api', apiPort, provider, token, {});
    const onFerretDb = await measureSeededApi('api on FerretDB', ferretApiPort, provider, token, {MONGO_URL: `${ferretDb.url}bench`});
    results.push(...embedded.results, ...onFerretDb.results);
    figures.push(embedded.figures, onFerretDb.figures);
    results.push(...(await measureLargeStore(provider, token, largeStorePort)));
    results.push(...(await measureLargeStoreOnFerretDb(provider, token, largeStorePort, `${ferretDb.url}bench_large`)));
  } finally {
    await ferretDb.stop();
    await provider.stop();
  }
  await report(results, figures);
}

/**
 * One user's 200 templates, 200 servers and 200 datasets seeded through the
 * API on a fresh store, then its routes measured; on the embedded store the
 * reference beside it, answering the bodies the API answered.
 */
async function measureSeededApi(
  target: ApiTarget,
  port: number,
  provider: TestIdentityProvider,
  token: string,
  storeEnv: Record<string, string>,
): Promise<{results: Measurement[]; figures: ApiFigures}> {
  const apiUrl = `http://127.0.0.1:${port}`;
  const started = Date.now();
  const api = await startApi(port, provider, await temporaryFolder('bench'), storeEnv);
  const startupMs = Date.now() - started;
  const results: Measurement[] = [];
  let reference: ChildProcess | undefined;
  try {
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
    const seededRssMb = await peakRss(api.pid!);
    const [firstServer] = (await call(`${apiUrl}/servers?limit=1`, token)) as Array<{_id: string}>;
    const routes = [`/servers/${firstServer._id}`, '/servers', '/templates', '/datasets', '/version'];
    const withReference = target === 'api';
    let referenceUrl = '';
    if (withReference) {
      const bodies: Record<string, unknown> = {};
      for (const route of routes) bodies[route] = await call(`${apiUrl}${route}`, token);
      const referenceSetup = await startReference(provider, {bodies, public: ['/version']});
      reference = referenceSetup.child;
      referenceUrl = referenceSetup.url;
    }
    const label = (route: string) => (route.startsWith('/servers/') ? 'GET /servers/{id}' : `GET ${route}`);
    for (const route of routes.filter(r => ROUTE_FILTER.test(label(r)))) {
      results.push({...(await measure(label(route), target, `${apiUrl}${route}`, token)), peakRssMb: await peakRss(api.pid!)});
      if (withReference) results.push(await measure(label(route), 'reference', `${referenceUrl}${route}`, token));
    }
    const upload = 'POST /volume/file (1 MB notebook)';
    if (ROUTE_FILTER.test(upload)) {
      const notebook = JSON.stringify({type: 'notebook', name: 'bench.ipynb', content: megabyteNotebook()});
      results.push({...(await measure(upload, target, `${apiUrl}/volume/file`, token, {post: notebook})), peakRssMb: await peakRss(api.pid!)});
      if (withReference) results.push(await measure(upload, 'reference', `${referenceUrl}/volume/file`, token, {post: notebook}));
    }
    return {results, figures: {target, startupMs, peakRssMb: await peakRss(api.pid!), seededRssMb}};
  } finally {
    await stopChild(api);
    if (reference) await stopChild(reference);
  }
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
 * The large-store routes against an API whose store holds
 * LARGE_STORE_DATASETS datasets of the bench user. Creating them through the
 * API would rewrite the whole store file for each: the API writes one, and
 * its row is copied in the store file while the API is stopped.
 */
async function measureLargeStore(provider: TestIdentityProvider, token: string, port: number): Promise<Measurement[]> {
  const routes = LARGE_STORE_ROUTES.filter(r => ROUTE_FILTER.test(r.label));
  if (routes.length === 0) return [];
  const dataDir = await temporaryFolder('bench-large');
  const seeding = await startApi(port, provider, dataDir);
  await call(`http://127.0.0.1:${port}/datasets`, token, {method: 'POST', body: JSON.stringify({name: 'Bench', description: 'Bench dataset'})});
  await new Promise(resolve => seeding.once('exit', resolve).kill('SIGTERM'));
  const file = path.join(dataDir, 'db.json');
  const store = JSON.parse(await fs.readFile(file, 'utf8')) as {ids: Record<string, number>; models: Record<string, Record<string, string>>};
  const [row] = Object.values(store.models.Dataset).map(json => JSON.parse(json) as object);
  store.models.Dataset = {};
  for (let i = 0; i < LARGE_STORE_DATASETS; i++) {
    const _id = randomUUID();
    store.models.Dataset[_id] = JSON.stringify({...row, _id, name: `Bench ${i}`});
  }
  await fs.writeFile(file, JSON.stringify(store));
  return measureLargeStoreRoutes(await startApi(port, provider, dataDir), routes, provider, token, port);
}

/** The large-store routes on FerretDB: the API writes one dataset, and its document is copied in the collection. */
async function measureLargeStoreOnFerretDb(provider: TestIdentityProvider, token: string, port: number, mongoUrl: string): Promise<Measurement[]> {
  const routes = LARGE_STORE_ROUTES.filter(r => ROUTE_FILTER.test(r.label));
  if (routes.length === 0) return [];
  const api = await startApi(port, provider, await temporaryFolder('bench-large'), {MONGO_URL: mongoUrl});
  await call(`http://127.0.0.1:${port}/datasets`, token, {method: 'POST', body: JSON.stringify({name: 'Bench', description: 'Bench dataset'})});
  const dataSource = new juggler.DataSource({connector: 'mongodb', url: mongoUrl});
  try {
    await dataSource.connect();
    type Collection = {findOne(): Promise<object>; deleteMany(filter: object): Promise<unknown>; insertMany(rows: object[]): Promise<unknown>};
    const datasets = (dataSource.connector as unknown as {db: {collection(name: string): Collection}}).db.collection('Dataset');
    const row = await datasets.findOne();
    await datasets.deleteMany({});
    const copies = Array.from({length: LARGE_STORE_DATASETS}, (_, i) => ({...row, _id: randomUUID(), name: `Bench ${i}`}));
    for (let i = 0; i < copies.length; i += 1000) await datasets.insertMany(copies.slice(i, i + 1000));
  } finally {
    await dataSource.disconnect();
  }
  return measureLargeStoreRoutes(api, routes, provider, token, port, 'api on FerretDB');
}

/** The large-store routes against `api` (stopped at the end), and the reference answering its bodies. */
async function measureLargeStoreRoutes(
  api: ChildProcess,
  routes: LargeStoreRoute[],
  provider: TestIdentityProvider,
  token: string,
  port: number,
  target: ApiTarget = 'api',
): Promise<Measurement[]> {
  const url = `http://127.0.0.1:${port}`;
  let reference: ChildProcess | undefined;
  try {
    const bodies: Record<string, unknown> = {};
    const envelopes: Record<string, unknown> = {};
    for (const {route, accept} of routes) (accept ? envelopes : bodies)[route] = await call(`${url}${route}`, token, {}, accept);
    const referenceSetup = target === 'api' ? await startReference(provider, {bodies, envelopes}) : undefined;
    reference = referenceSetup?.child;
    const results: Measurement[] = [];
    for (const {label, route, accept} of routes) {
      results.push({...(await measure(label, target, `${url}${route}`, token, {accept})), peakRssMb: await peakRss(api.pid!)});
      if (referenceSetup) results.push(await measure(label, 'reference', `${referenceSetup.url}${route}`, token, {accept}));
    }
    return results;
  } finally {
    await stopChild(api);
    if (reference) await stopChild(reference);
  }
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
  const apis = figures.map(f => `${f.target}: start to listening ${f.startupMs} ms, peak RSS ${f.peakRssMb} MB (${f.seededRssMb} MB once seeded)`);
  console.log(`\nNotebooks Hub API benchmark: ${CONNECTIONS} connections, ${DURATION_S} s per route; ${apis.join('; ')}\n`);
  console.log('| route | target | req/s | p50 ms | p99 ms | ratio | errors | non-2xx | bytes | peak RSS MB |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  // Each route's rows together: the API on either store beside the reference.
  const order = [...new Set(rows.map(r => r.route))];
  for (const r of [...rows].sort((a, b) => order.indexOf(a.route) - order.indexOf(b.route))) {
    console.log(`| ${r.route} | ${r.target} | ${r.requestsPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.ratioToReference} | ${r.errors} | ${r.non2xx} | ${r.bytesPerResponse} | ${r.peakRssMb ?? ''} |`);
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
