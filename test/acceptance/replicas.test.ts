import {expect, supertest} from '@loopback/testlab';
import {ApiWorld, bearerClient, PEOPLE} from '../fixtures/api-world';
import {CountingProxy} from '../fixtures/counting-proxy';
import {expectOneSpawnOfConcurrentStarts, HubWorld} from '../fixtures/hub-world';
import {RunningApp, startReplica} from '../fixtures/test-app';
import {LeaseRepository} from '../../src/repositories/lease.repository';
import {RECONCILER_LEASE, ServerStatusObserver} from '../../src/observers/server-status.observer';

/** The reconcile pass's one hub request when few users are active: the list of active users. */
const RECONCILE_CALL = /^GET \/hub\/api\/users\?state=active/;

/**
 * Two API instances bound to one datasource and one real JupyterHub: the
 * replicas of a deployment on MongoDB, in one process here where no
 * MongoDB runs (the same conditional updates reach the embedded store).
 */
describe('Two replicas on one database and one hub', () => {
  let hubWorld: HubWorld;
  let proxy: CountingProxy;
  let world: ApiWorld;
  let replica: RunningApp;

  before(async () => {
    // Passes are driven by the tests, not by the timers.
    hubWorld = await HubWorld.start({HUB_RECONCILE_INTERVAL: '3600'});
    ({proxy, world} = hubWorld);
    replica = await startReplica(world.api);
  });

  after(async () => {
    await replica?.stop();
    await hubWorld?.stop();
  });

  const reconcilers = async () =>
    Promise.all([world.api.app, replica.app].map(app => app.get<ServerStatusObserver>('lifeCycleObservers.ServerStatusObserver')));

  it('20 concurrent starts of one server, 10 to each replica, make exactly one spawn at the hub', async () => {
    const onReplica = bearerClient(supertest(replica.url), await world.tokenFor(PEOPLE.owner));
    await expectOneSpawnOfConcurrentStarts(await world.as('owner'), onReplica, proxy);
  });

  it('with both reconcilers due at each interval, one pass runs per interval, always in the replica holding the lease', async () => {
    const [first, second] = await reconcilers();
    const callsBefore = proxy.count(RECONCILE_CALL);
    const passes: Array<[boolean, boolean]> = [];
    for (let interval = 0; interval < 5; interval++) {
      passes.push(await Promise.all([first.reconcileOnce(), second.reconcileOnce()]));
    }
    const holders = passes.map(([a, b]) => (a ? 'first' : '') + (b ? 'second' : ''));
    expect(new Set(holders).size).to.equal(1);
    expect(['first', 'second']).to.containEql(holders[0]);
    expect(proxy.count(RECONCILE_CALL) - callsBefore).to.equal(5);
  });

  it('a replica that stops hands the lease over, and a lease its dead holder left is taken once it expires', async () => {
    const [first, second] = await reconcilers();
    const leases = await world.api.app.getRepository(LeaseRepository);
    await Promise.all([first.reconcileOnce(), second.reconcileOnce()]);
    const [stopping, other] = (await first.reconcileOnce()) ? [first, second] : [second, first];
    const stoppingHolder = (await leases.findById(RECONCILER_LEASE)).holder;
    expect(await other.reconcileOnce()).to.be.false();

    await stopping.stop();
    expect(await other.reconcileOnce()).to.be.true();
    expect(await stopping.reconcileOnce()).to.be.false();
    expect((await leases.findById(RECONCILER_LEASE)).holder).to.not.equal(stoppingHolder);

    // The new holder dies without a word: its lease runs out, and then only, the first one takes it again.
    await leases.updateById(RECONCILER_LEASE, {expiresAt: new Date(Date.now() + 60_000)});
    expect(await stopping.reconcileOnce()).to.be.false();
    await leases.updateById(RECONCILER_LEASE, {expiresAt: new Date(Date.now() - 1000)});
    expect(await stopping.reconcileOnce()).to.be.true();
    expect((await leases.findById(RECONCILER_LEASE)).holder).to.equal(stoppingHolder);
    expect(await other.reconcileOnce()).to.be.false();
  });
});
