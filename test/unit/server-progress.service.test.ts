import {juggler} from '@loopback/repository';
import type {Response} from '@loopback/rest';
import {expect} from '@loopback/testlab';
import {EventEmitter} from 'node:events';
import {Readable} from 'node:stream';
import type {DbDataSource} from '../../src/datasources/db.datasource';
import {ServerRepository} from '../../src/kinds/server/server.repository';
import {HubDeadline, JupyterHubService} from '../../src/services/hub/jupyterhub.service';
import {ServerProgressService} from '../../src/kinds/server/server-progress.service';

const URL = 'https://hub.example.org/user/ann@lab.org/lab/';

/** What the API writes to one client, as a response that records it. */
class RecordedResponse extends EventEmitter {
  text = '';
  writableEnded = false;

  writeHead(): this {
    return this;
  }

  write(text: string): boolean {
    this.text += text;
    return true;
  }

  end(text?: string): this {
    if (text) this.text += text;
    this.writableEnded = true;
    this.emit('close');
    return this;
  }

  get events(): Array<Record<string, unknown>> {
    return [...this.text.matchAll(/^data: (.*)$/gm)].map(([, data]) => JSON.parse(data));
  }
}

/** A hub's progress stream of these events, ended after them. */
const hubStream = (...events: object[]) => Readable.from(events.map(event => `data: ${JSON.stringify(event)}\n\n`));

/**
 * The progress service on a memory store and a scripted hub: each request
 * for progress takes the next answer (undefined: the hub has no spawn of
 * the server) and may change the record first, as the start would.
 */
describe('ServerProgressService', () => {
  let servers: ServerRepository;
  let progress: ServerProgressService;
  let id: string;
  let answers: Array<() => Promise<Readable | undefined>>;
  let hubRequests: number;

  beforeEach(async () => {
    servers = new ServerRepository(new juggler.DataSource({name: 'db', connector: 'memory'}) as DbDataSource);
    answers = [];
    hubRequests = 0;
    const hub = {
      serverUrl: () => URL,
      deadline: () => new HubDeadline(1000),
      pendingProgress: async () => {
        hubRequests++;
        return (answers.shift() ?? (async () => undefined))();
      },
    } as unknown as JupyterHubService;
    progress = new ServerProgressService(servers, hub);
    const server = await servers.create({name: 'lab', owner: 'ann@lab.org', hubUser: 'ann@lab.org', templateId: 't', status: 'starting'});
    id = server._id!;
  });

  const follow = async () => {
    const response = new RecordedResponse();
    await progress.stream(id, response as unknown as Response);
    return response.events;
  };

  it('asks again while the hub shows no spawn of a starting server, and ends ready once the record says it runs', async () => {
    answers.push(
      async () => undefined,
      async () => undefined,
      async () => {
        await servers.updateById(id, {status: 'running'});
        return undefined;
      },
    );
    expect(await follow()).to.deepEqual([{progress: 100, ready: true, message: 'The server is running', url: URL}]);
    expect(hubRequests).to.equal(3);
  });

  it('relays a spawn the hub shows late, and a stream that ends without an outcome is followed by the next one', async () => {
    answers.push(
      async () => undefined,
      async () => hubStream({progress: 10, message: 'Spawning'}),
      async () => hubStream({progress: 50, message: 'Almost'}, {progress: 100, ready: true, message: 'Server ready'}),
    );
    expect(await follow()).to.deepEqual([
      {progress: 10, message: 'Spawning'},
      {progress: 50, message: 'Almost'},
      {progress: 100, message: 'Server ready', ready: true, url: URL},
    ]);
  });

  it('takes a failure the hub tells, perhaps of an earlier spawn, only once the record confirms it, and then with its reason', async () => {
    answers.push(
      async () => hubStream({progress: 100, failed: true, message: 'Spawn failed: an earlier one'}),
      async () => hubStream({progress: 30, message: 'Spawning'}, {progress: 100, failed: true, message: 'Spawn failed: no room'}),
      async () => {
        await servers.updateById(id, {status: 'stopped', lastError: 'Spawn failed: no room'});
        return hubStream({progress: 100, failed: true, message: 'Spawn failed: no room'});
      },
    );
    expect(await follow()).to.deepEqual([
      {progress: 30, message: 'Spawning'},
      {progress: 100, failed: true, message: 'Spawn failed: no room'},
    ]);
  });

  it('ends failed, pausing between looks, when the hub shows no spawn for HUB_TIMEOUT_MS while the record still says starting', async () => {
    expect(await follow()).to.deepEqual([{progress: 100, failed: true, message: 'JupyterHub shows no start of this server'}]);
    // Pauses of 100 ms and more within the 1000 ms the scripted hub gives: a handful of looks, not a busy loop.
    expect(hubRequests).to.be.within(2, 10);
  });

  it('answers a server that is not starting at once, from its record, without asking the hub', async () => {
    await servers.updateById(id, {status: 'stopped', lastError: 'Spawn failed: no room'});
    expect(await follow()).to.deepEqual([{progress: 100, failed: true, message: 'Spawn failed: no room'}]);
    expect(hubRequests).to.equal(0);
  });
});
