import {expect} from '@loopback/testlab';
import Ajv from 'ajv';
import {createHash} from 'node:crypto';
import {promises as fs, readFileSync} from 'node:fs';
import path from 'node:path';
import {SecretBindings} from '../../src/keys';
import {LaunchTicketRepository} from '../../src/repositories/launch-ticket.repository';
import {LaunchTicketService} from '../../src/kinds/server/launch-ticket.service';
import {LoggerService} from '../../src/services/logger.service';
import {ApiWorld, createdServer, PEOPLE, TEMPLATE_BODY} from '../fixtures/api-world';
import {CountingProxy} from '../fixtures/counting-proxy';
import {eventually} from '../fixtures/eventually';
import {SpawningHubDouble} from '../fixtures/spawning-hub-double';
import {databaseText, temporaryFolder} from '../fixtures/test-app';
import {forSuite} from '../fixtures/for-suite';

const SPAWNER_TOKEN = 'spawner-token-of-the-launch-tests-0123456789';
const CONTRACT = path.resolve(__dirname, '../../../hub/notebooks_hub_spawner/launch_plan.schema.json');
const GIB = 1024 ** 3;

type Plan = Record<string, unknown> & {
  datasets: Array<{id: string; access: string}>;
  secrets: Array<Record<string, unknown>>;
};

/** The contract file itself, as the spawner parses plans with it. */
const validatePlan = new Ajv({strict: true, allErrors: true}).compile(JSON.parse(readFileSync(CONTRACT, 'utf8')));
function expectContractKept(plan: unknown): void {
  expect({valid: validatePlan(plan), errors: validatePlan.errors ?? null}).to.deepEqual({valid: true, errors: null});
}

/**
 * The API against a hub double whose spawns never end (servers stay
 * `starting`, as they are while their spawner runs), behind the counting
 * proxy that records the user_options each start sends; the spawner's side
 * is played over HTTP with SPAWNER_TOKEN.
 */
async function launchWorld(env: Record<string, string> = {}) {
  const hub = await SpawningHubDouble.start();
  const proxy = await CountingProxy.start(hub.apiUrl.replace('/hub/api', ''));
  const hardwareFile = path.join(await temporaryFolder('hardware'), 'hardware.json');
  await fs.writeFile(
    hardwareFile,
    JSON.stringify([
      {name: 'small', description: 'Two cores', cpu: 2, memory: '2G'},
      {name: 'gpu', description: 'A GPU', cpu: 8, memory: 64 * GIB, gpu: 1},
      {name: 'bare', description: 'No limits given'},
    ]),
  );
  const world = await ApiWorld.start({
    HUB_API_URL: `${proxy.url}/hub/api`,
    HUB_API_TOKEN: 'hub-token-of-the-api-service',
    HUB_RECONCILE_INTERVAL: '3600',
    HARDWARE_FILE: hardwareFile,
    SPAWNER_TOKEN,
    LOG_LEVEL: 'warn',
    ...env,
  });
  const log: string[] = [];
  (await world.api.app.get<LoggerService>('services.LoggerService')).useSink(line => log.push(line));

  /** The user_options of the server's latest start, as the hub got them. */
  const userOptions = (server: {name: string}) => {
    const spawn = (r: string) => r.startsWith('POST ') && r.endsWith(`/servers/${encodeURIComponent(server.name)}`);
    const index = proxy.requests.reduce((last, r, i) => (spawn(r) ? i : last), -1);
    expect(index).to.be.aboveOrEqual(0);
    return JSON.parse(proxy.bodies[index]) as Record<string, unknown>;
  };
  const ticketOf = (server: {name: string}) => userOptions(server).launchTicket as string;
  const redeem = (hubUser: string, serverName: string, body: object, token = SPAWNER_TOKEN) =>
    world.client
      .post(`/hub/servers/${encodeURIComponent(hubUser)}/${encodeURIComponent(serverName)}/launch`)
      .set('Authorization', `Bearer ${token}`)
      .send(body);
  const redeemFor = (server: {hubUser: string; name: string}, body: object = {launchTicket: ticketOf(server)}) =>
    redeem(server.hubUser, server.name, body);
  const refusals = async (reason: string) => {
    const {text} = await world.client.get('/metrics').expect(200);
    const match = new RegExp(`^notebooks_hub_launch_refusals_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
    return Number(match?.[1]);
  };
  const stop = async () => {
    await world.stop();
    await proxy.stop();
    await hub.stop();
  };
  return {world, proxy, log, userOptions, ticketOf, redeem, redeemFor, refusals, stop};
}

describe("Launch tickets: the hub's spawner gets the plan the API decides, once", () => {
  let w: Awaited<ReturnType<typeof launchWorld>>;

  forSuite(() => launchWorld(), started => (w = started));

  it('sends the hub a launch ticket and nothing else, and stores only its hash', async () => {
    const owner = await w.world.as('owner');
    const value = 'value-that-must-not-reach-the-hub';
    const secret = await owner
      .post('/secrets')
      .send({secretName: 'Token', type: 'env_var', value: {TOKEN: value}})
      .expect(200);
    const dataset = await owner.post('/datasets').send({name: 'Images', write_access: true}).expect(200);
    const server = await owner
      .post('/servers')
      .send({...TEMPLATE_BODY, name: 'Ticket only', secrets: [secret.body._id], datasets: [dataset.body._id]})
      .expect(200);
    expect(server.body.status).to.equal('starting');

    const options = w.userOptions(server.body);
    expect(Object.keys(options)).to.deepEqual(['launchTicket']);
    const ticket = options.launchTicket as string;
    expect(ticket).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(w.proxy.bodies.join('\n')).to.not.containEql(value);

    const hash = createHash('sha256').update(ticket).digest('hex');
    const stored = await (await w.world.api.app.getRepository(LaunchTicketRepository)).find({where: {serverId: server.body._id}});
    expect(stored.map(t => ({hash: t.hash, hubUser: t.hubUser, serverName: t.serverName}))).to.deepEqual([
      {hash, hubUser: PEOPLE.owner, serverName: server.body.name},
    ]);
    await eventually('the store is on disk with the ticket', async () => (await databaseText(w.world.api)).includes(hash), 5000);
    expect(await databaseText(w.world.api)).to.not.containEql(ticket);
  });

  it('redeems a ticket once for the plan with the secret values, and refuses and counts a replay', async () => {
    const owner = await w.world.as('owner');
    const envValue = 'env-value-0123';
    const rawValue = 'line one\nline two\n';
    const env = await owner
      .post('/secrets')
      .send({secretName: 'Env', type: 'env_var', value: {API_KEY: envValue, OTHER: 'x'}})
      .expect(200);
    const raw = await owner
      .post('/secrets')
      .send({secretName: 'Key file!', type: 'raw', mount_path: 'x/.key', value: rawValue})
      .expect(200);
    const dataset = await owner.post('/datasets').send({name: 'Read only', write_access: false}).expect(200);
    const module = await owner.post('/modules').send({name: 'tools', version: '1.0'}).expect(200);
    const server = await owner
      .post('/servers')
      .send({
        ...TEMPLATE_BODY,
        name: 'Planned',
        filePath: 'work/analysis.ipynb',
        secrets: [env.body._id, raw.body._id],
        datasets: [dataset.body._id],
        modules: [module.body._id],
      })
      .expect(200);

    const res = await w.redeemFor(server.body).expect(200);
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(res.body).to.deepEqual({
      hubUser: PEOPLE.owner,
      serverName: server.body.name,
      owner: PEOPLE.owner,
      application: 'JupyterLab',
      filePath: 'work/analysis.ipynb',
      hardware: {name: 'small', cpu: 2, memory: 2 * GIB},
      datasets: [{id: dataset.body._id, name: 'Read only', source: dataset.body._id, access: 'read'}],
      modules: [{id: module.body._id, owner: PEOPLE.owner, name: 'tools', version: '1.0'}],
      secrets: [
        {id: env.body._id, secretName: 'Env', type: 'env_var', variables: {API_KEY: envValue, OTHER: 'x'}},
        {id: raw.body._id, secretName: 'Key file!', type: 'raw', path: 'x/.key', content: rawValue},
      ],
    });
    expectContractKept(res.body);

    const replaysBefore = await w.refusals('unknown_or_used');
    const replay = await w.redeemFor(server.body, {launchTicket: w.ticketOf(server.body)}).expect(403);
    expect(replay.body.error).to.containDeep({code: 'launch_refused', message: 'The launch ticket is unknown, used or expired'});
    expect(replay.text).to.not.containEql(envValue);
    expect(await w.refusals('unknown_or_used')).to.equal(replaysBefore + 1);
    expect(w.log.join('\n')).to.not.containEql(envValue);
  });

  it('gives a dataset writable only to a launcher who may write it, and limits of other hardware', async () => {
    const owner = await w.world.as('owner');
    const dataset = await owner.post('/datasets').send({name: 'Shared data', write_access: true}).expect(200);
    await owner
      .post(`/datasets/${dataset.body._id}/share`)
      .send({relation: 'read', userArray: [PEOPLE.direct]})
      .expect(200);
    await owner
      .post(`/datasets/${dataset.body._id}/share`)
      .send({relation: 'write', userArray: [PEOPLE.writer]})
      .expect(200);
    for (const [person, access, hardware, limits] of [
      ['direct', 'read', 'gpu', {name: 'gpu', cpu: 8, memory: 64 * GIB, gpu: 1}],
      ['writer', 'write', 'bare', {name: 'bare'}],
      ['owner', 'write', 'small', {name: 'small', cpu: 2, memory: 2 * GIB}],
    ] as const) {
      const launcher = await w.world.as(person);
      const server = await launcher
        .post('/servers')
        .send({...TEMPLATE_BODY, name: `For ${person}`, hardware, datasets: [dataset.body._id]})
        .expect(200);
      const plan = (await w.redeemFor(server.body).expect(200)).body as Plan;
      expect({person, hardware: plan.hardware, access: plan.datasets.map(d => d.access)}).to.deepEqual({
        person,
        hardware: limits,
        access: [access],
      });
      expectContractKept(plan);
    }
  });

  it('leaves out what the owner can no longer read when the spawner redeems, though the start could', async () => {
    const owner = await w.world.as('owner');
    const dataset = await owner.post('/datasets').send({name: 'Revoked later'}).expect(200);
    await owner
      .post(`/datasets/${dataset.body._id}/share`)
      .send({relation: 'read', userArray: [PEOPLE.direct]})
      .expect(200);
    const direct = await w.world.as('direct');
    const server = await direct
      .post('/servers')
      .send({...TEMPLATE_BODY, name: 'Before the revoke', datasets: [dataset.body._id]})
      .expect(200);
    expect(server.body.status).to.equal('starting');
    await owner
      .post(`/datasets/${dataset.body._id}/revoke`)
      .send({relation: 'read', userArray: [PEOPLE.direct]})
      .expect(200);

    const plan = (await w.redeemFor(server.body).expect(200)).body as Plan;
    expect(plan.datasets).to.deepEqual([]);
    expectContractKept(plan);
  });

  it('leaves out an env_var secret that sets a reserved variable, logging its id and the name only', async () => {
    const owner = await w.world.as('owner');
    const value = '/tmp/evil-library-value.so';
    const sneaky = await owner
      .post('/secrets')
      .send({secretName: 'Sneaky', type: 'env_var', value: {HARMLESS: 'x'}})
      .expect(200);
    // Written past the API's own checks, as a secret stored before they existed would be.
    const store = await w.world.api.app.get(SecretBindings.STORE);
    await store.write(sneaky.body._id, {HARMLESS: 'x', LD_PRELOAD: value});
    const fine = await owner
      .post('/secrets')
      .send({secretName: 'Fine', type: 'env_var', value: {FINE: 'yes'}})
      .expect(200);
    const server = await owner
      .post('/servers')
      .send({...TEMPLATE_BODY, name: 'Sneaky', secrets: [sneaky.body._id, fine.body._id]})
      .expect(200);

    const plan = (await w.redeemFor(server.body).expect(200)).body as Plan;
    expect(plan.secrets.map(s => s.id)).to.deepEqual([fine.body._id]);
    expectContractKept(plan);
    const warning = w.log.map(line => JSON.parse(line)).find(line => line.secret === sneaky.body._id);
    expect(warning).to.containDeep({level: 'warn', variable: 'LD_PRELOAD'});
    expect(w.log.join('\n')).to.not.containEql(value);
  });

  it('refuses a ticket for another server or hub user, and spends it', async () => {
    const owner = await w.world.as('owner');
    const first = await createdServer(owner, 'First');
    const second = await createdServer(owner, 'Second');
    const before = await w.refusals('wrong_server');

    const elsewhere = await w.redeem(PEOPLE.owner, second.name, {launchTicket: w.ticketOf(first)}).expect(403);
    expect(elsewhere.body.error).to.containDeep({code: 'launch_refused', message: 'The launch ticket is for another server'});
    await w.redeem(PEOPLE.direct, second.name, {launchTicket: w.ticketOf(second)}).expect(403);
    expect(await w.refusals('wrong_server')).to.equal(before + 2);
    await w.redeemFor(first).expect(403);
    await w.redeemFor(second).expect(403);
  });

  it('refuses a ticket whose server is no longer starting, and one a later start replaced', async () => {
    const owner = await w.world.as('owner');
    const server = await createdServer(owner, 'Stopped early');
    const firstTicket = w.ticketOf(server);
    expect((await owner.put(`/servers/${server._id}/stop`).expect(200)).body.status).to.equal('stopped');
    const before = await w.refusals('not_starting');
    const stopped = await w.redeemFor(server, {launchTicket: firstTicket}).expect(403);
    expect(stopped.body.error).to.containDeep({code: 'launch_refused', message: 'The server of this launch ticket is not starting'});
    expect(await w.refusals('not_starting')).to.equal(before + 1);

    // Stopped before its spawner came and started again: the new start's ticket is the only one.
    const restarted = await createdServer(owner, 'Restarted');
    const replaced = w.ticketOf(restarted);
    await owner.put(`/servers/${restarted._id}/stop`).expect(200);
    await owner.put(`/servers/${restarted._id}/start`).expect(200);
    expect(w.ticketOf(restarted)).to.not.equal(replaced);
    await w.redeemFor(restarted, {launchTicket: replaced}).expect(403);
    await w.redeemFor(restarted).expect(200);
  });

  it('refuses a request without a ticket', async () => {
    const owner = await w.world.as('owner');
    const server = await createdServer(owner, 'No ticket');
    const before = await w.refusals('missing');
    const res = await w.redeemFor(server, {}).expect(403);
    expect(res.body.error.code).to.equal('launch_refused');
    expect(await w.refusals('missing')).to.equal(before + 1);
    await w.redeemFor(server).expect(200);
  });

  it('answers one of ten concurrent redemptions of a ticket, and refuses the others', async () => {
    const owner = await w.world.as('owner');
    const server = await createdServer(owner, 'Raced');
    const ticket = w.ticketOf(server);
    const answers = await Promise.all(Array.from({length: 10}, () => w.redeemFor(server, {launchTicket: ticket})));
    expect(answers.map(a => a.status).sort()).to.deepEqual([200, ...Array(9).fill(403)]);

    // In one process, so that every redemption has read the ticket before any spends it: the spending decides.
    await owner.put(`/servers/${server._id}/stop`).expect(200);
    await owner.put(`/servers/${server._id}/start`).expect(200);
    const launchTickets = await w.world.api.app.get<LaunchTicketService>('services.LaunchTicketService');
    const outcomes = await Promise.all(
      Array.from({length: 10}, () =>
        launchTickets.redeem(server.hubUser, server.name, {launchTicket: w.ticketOf(server)}).then(
          () => 'plan',
          (err: {code?: string}) => err.code,
        ),
      ),
    );
    expect(outcomes.sort()).to.deepEqual([...Array(9).fill('launch_refused'), 'plan']);
  });

  it("is for SPAWNER_TOKEN alone: a person's token, even an admin's, is refused, and the spawner's opens nothing else", async () => {
    const owner = await w.world.as('owner');
    const server = await createdServer(owner, 'Not yours');
    const url = `/hub/servers/${encodeURIComponent(PEOPLE.owner)}/${server.name}/launch`;
    const body = {launchTicket: w.ticketOf(server)};
    for (const token of [await w.world.tokenFor(PEOPLE.owner), await w.world.tokenFor(PEOPLE.admin, true), 'x'.repeat(48)]) {
      await w.world.client.post(url).set('Authorization', `Bearer ${token}`).send(body).expect(401);
    }
    await w.world.client.post(url).send(body).expect(401);
    await (await w.world.as('admin')).post(url).send(body).expect(401);
    await w.world.client.get('/secrets').set('Authorization', `Bearer ${SPAWNER_TOKEN}`).expect(401);
    // Refused callers spent nothing.
    await w.redeemFor(server, body).expect(200);
  });

  it("shows on the server when its hub could not enforce the hardware's limits, until the next start", async () => {
    const owner = await w.world.as('owner');
    const server = await createdServer(owner, 'Unlimited');
    await w.redeemFor(server, {launchTicket: w.ticketOf(server), limitsEnforced: false}).expect(200);
    expect((await owner.get(`/servers/${server._id}`).expect(200)).body).to.containDeep({status: 'starting', limitsEnforced: false});
    await owner.put(`/servers/${server._id}/stop`).expect(200);
    await owner.put(`/servers/${server._id}/start`).expect(200);
    expect((await owner.get(`/servers/${server._id}`).expect(200)).body.limitsEnforced).to.be.null();
  });

  it('voids the ticket of a start that fails', async () => {
    const owner = await w.world.as('owner');
    const server = await createdServer(owner, 'Cut off', false);
    const tickets = await w.world.api.app.getRepository(LaunchTicketRepository);
    w.proxy.cutOff = true;
    try {
      await owner.put(`/servers/${server._id}/start`).expect(503);
    } finally {
      w.proxy.cutOff = false;
    }
    expect((await tickets.count({serverId: server._id})).count).to.equal(0);
    expect((await owner.get(`/servers/${server._id}`).expect(200)).body.status).to.equal('stopped');
  });
});

describe('Launch tickets expire', () => {
  let w: Awaited<ReturnType<typeof launchWorld>>;

  forSuite(() => launchWorld({LAUNCH_TICKET_TTL_SECONDS: '1'}), started => (w = started));

  it('refuses a ticket redeemed after LAUNCH_TICKET_TTL_SECONDS, and counts it', async () => {
    const owner = await w.world.as('owner');
    const server = await createdServer(owner, 'Too late');
    const before = await w.refusals('expired');
    await new Promise(resolve => setTimeout(resolve, 1200));
    const res = await w.redeemFor(server).expect(403);
    expect(res.body.error).to.containDeep({code: 'launch_refused', message: 'The launch ticket is unknown, used or expired'});
    expect(await w.refusals('expired')).to.equal(before + 1);
  });
});

describe('The launch plan contract (hub/notebooks_hub_spawner/launch_plan.schema.json)', () => {
  const plan = {
    hubUser: 'ann@lab.org',
    serverName: 'analysis-1a2b3c',
    owner: 'ann@lab.org',
    application: 'JupyterLab',
    hardware: {name: 'small', cpu: 1, memory: 2 * GIB},
    datasets: [
      {id: '0f8fad5b-d9cb-469f-a165-70867728950e', name: 'Images', source: '0f8fad5b-d9cb-469f-a165-70867728950e', access: 'write'},
    ],
    modules: [{id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', owner: 'ann@lab.org', name: 'tools', version: '1.0'}],
    secrets: [
      {id: '16fd2706-8baf-433b-82eb-8c7fada847da', secretName: 'Env', type: 'env_var', variables: {API_KEY: 'x'}},
      {id: '886313e1-3b8a-5372-9b90-0c9aee199e5d', secretName: 'Key', type: 'raw', path: 'keys/api.txt', content: 'x'},
    ],
  };

  it('takes a plan without hardware', () => {
    expectContractKept(plan);
    expectContractKept({...plan, hardware: null});
  });

  it('refuses plans the spawner must not act on, so the check above can fail', () => {
    const wrong: Array<[string, object]> = [
      ['an unknown access', {...plan, datasets: [{...plan.datasets[0], access: 'admin'}]}],
      ['a reserved variable', {...plan, secrets: [{...plan.secrets[0], variables: {LD_PRELOAD: 'x'}}]}],
      ['a path out of the secrets folder', {...plan, secrets: [{...plan.secrets[1], path: '../.bashrc'}]}],
      ['an option of the old user_options', {...plan, applicationType: 'JupyterLab'}],
      ['no secrets list', {...plan, secrets: undefined}],
    ];
    for (const [what, body] of wrong)
      expect({what, valid: validatePlan(JSON.parse(JSON.stringify(body)))}).to.deepEqual({what, valid: false});
  });
});
