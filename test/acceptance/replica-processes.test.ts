import {expect, supertest} from '@loopback/testlab';
import {ApiProcess, startApiProcess} from '../fixtures/api-process';
import {checkContractOf} from '../fixtures/contract-hook';
import {CountingProxy} from '../fixtures/counting-proxy';
import {eventually} from '../fixtures/eventually';
import {expectOneSpawnOfConcurrentStarts, HUB_SPAWNER_TOKEN, startHubPeers} from '../fixtures/hub-world';
import {JupyterHubHarness} from '../fixtures/jupyterhub-harness';
import {bearerClient, PEOPLE} from '../fixtures/api-world';
import {storeSettings, temporaryFolder} from '../fixtures/test-app';
import {TestIdentityProvider} from '../fixtures/test-identity-provider';

/** The reconcile pass's one hub request when few users are active: the list of active users. */
const RECONCILE_CALL = /^GET \/hub\/api\/users\?state=active/;
const RECONCILE_INTERVAL_SECONDS = 1;

/**
 * Two API processes (`node dist/src/index.js` each, as a deployment's
 * replicas run) on one MongoDB database and one real JupyterHub. Runs in
 * the MongoDB-protocol run only (.mocharc.mongodb.json): the embedded store
 * belongs to one process.
 */
describe('Two API processes on one MongoDB database and one hub', () => {
  let hub: JupyterHubHarness;
  let proxy: CountingProxy;
  let provider: TestIdentityProvider;
  let replicas: ApiProcess[] = [];

  before(async () => {
    const database = storeSettings(await temporaryFolder('replicas')).MONGO_URL;
    if (!database) throw new Error('This suite needs a MongoDB-protocol server: run it with --config .mocharc.mongodb.json');
    let apiEnv: Record<string, string>;
    ({hub, provider, proxy, apiEnv} = await startHubPeers());
    const env = {
      MONGO_URL: database,
      OIDC_ISSUER: provider.issuer,
      ...apiEnv,
      HUB_RECONCILE_INTERVAL: String(RECONCILE_INTERVAL_SECONDS),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_AUTH_PER_MINUTE: '0',
      RATE_LIMIT_WRITES_PER_MINUTE: '0',
    };
    // One after the other: the second finds the indexes the first created.
    for (let i = 0; i < 2; i++) replicas.push(await startApiProcess(env));
    for (const replica of replicas) checkContractOf(replica.url);
    await hub.connectApi({apiUrl: replicas[0].url.replace('localhost', '127.0.0.1'), spawnerToken: HUB_SPAWNER_TOKEN});
  });

  after(async () => {
    for (const replica of replicas) {
      if (replica.child.exitCode === null && replica.child.signalCode === null) replica.child.kill('SIGTERM');
      await replica.exited;
    }
    replicas = [];
    await provider?.stop();
    await proxy?.stop();
    await hub?.stop();
  });

  const ownerOn = async (replica: ApiProcess) =>
    bearerClient(supertest(replica.url), await provider.sign(provider.accessTokenClaims(PEOPLE.owner)));

  /** Reconcile passes a replica made since it started, whatever their outcome. */
  const passesOf = async (replica: ApiProcess) => {
    const text = (await supertest(replica.url).get('/metrics').expect(200)).text;
    return [...text.matchAll(/^notebooks_hub_reconcile_passes_total\{[^}]*\} (\d+)$/gm)].reduce((sum, [, n]) => sum + Number(n), 0);
  };

  it('20 concurrent starts of one server, 10 to each process, make exactly one spawn at the hub', async () => {
    const [first, second] = await Promise.all(replicas.map(ownerOn));
    await expectOneSpawnOfConcurrentStarts(first, second, proxy);
  });

  it('with both reconcilers due every interval, the hub gets one pass per interval, from the process holding the lease', async () => {
    const passesBefore = await Promise.all(replicas.map(passesOf));
    const callsBefore = proxy.count(RECONCILE_CALL);
    const started = Date.now();
    await new Promise(resolve => setTimeout(resolve, 8 * RECONCILE_INTERVAL_SECONDS * 1000));
    const calls = proxy.count(RECONCILE_CALL) - callsBefore;
    const passes = (await Promise.all(replicas.map(passesOf))).map((n, i) => n - passesBefore[i]);
    const intervals = Math.floor((Date.now() - started) / (RECONCILE_INTERVAL_SECONDS * 1000));
    // Timers never tick early, so with the lease there are at most as many passes as intervals (one more for
    // a pass under way at either end); two replicas each passing would make about twice as many.
    expect(calls).to.be.within(1, intervals + 1);
    expect(passes[0] + passes[1]).to.be.within(1, intervals + 1);
    // Renewed at each of its passes, the lease stays where it is.
    expect(passes.filter(n => n > 0)).to.have.length(1);
  });

  it('a process that stops hands the lease over: the other one reconciles from then on', async () => {
    const before = await Promise.all(replicas.map(passesOf));
    await new Promise(resolve => setTimeout(resolve, 3 * RECONCILE_INTERVAL_SECONDS * 1000));
    const moved = (await Promise.all(replicas.map(passesOf))).map((n, i) => n - before[i]);
    expect(moved.filter(n => n > 0)).to.have.length(1);
    const holder = moved[0] > 0 ? 0 : 1;
    const other = replicas[1 - holder];

    replicas[holder].child.kill('SIGTERM');
    expect((await replicas[holder].exited).code).to.equal(0);
    const otherBefore = await passesOf(other);
    const callsBefore = proxy.count(RECONCILE_CALL);
    await eventually(
      'the other process reconciles',
      async () => (await passesOf(other)) > otherBefore && proxy.count(RECONCILE_CALL) > callsBefore,
    );
  });
});
