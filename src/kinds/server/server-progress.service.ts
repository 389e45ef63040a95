import {BindingScope, injectable, service} from '@loopback/core';
import {repository} from '@loopback/repository';
import type {Response} from '@loopback/rest';
import type {Readable} from 'node:stream';
import {setTimeout as sleep} from 'node:timers/promises';
import {Server} from './server.model';
import {ServerRepository} from './server.repository';
import {readEvents} from '../../utils/event-stream.util';
import {JupyterHubService} from '../../services/hub/jupyterhub.service';

const HEARTBEAT_MS = 15_000;
/** How soon a browser's EventSource comes back after the API closed its stream to stop. */
const RECONNECT_MS = 3_000;
/** The first and the longest pause before looking again at a start the hub shows no spawn of. */
const FIRST_PAUSE_MS = 100;
const LONGEST_PAUSE_MS = 250;

interface OpenStream {
  response: Response;
  /** The last progress relayed, repeated in the final event. */
  progress: number;
}

/** One client's stream: what is written to it, and whether it is still there. */
interface Relay {
  stream: OpenStream;
  url: string;
  send(event: Record<string, unknown>): void;
  gone(): boolean;
  /** The hub's stream being relayed, destroyed when the client leaves. */
  following?: Readable;
}

/** What one hub progress stream told of the spawn. */
interface HubAnswer {
  ready?: boolean;
  /** The hub's failure message: this spawn's, or one that ended before it. */
  failed?: string;
  /** The hub had a spawn pending. */
  pending?: boolean;
}

/**
 * GET /servers/{id}/progress: the hub's spawn progress relayed as
 * server-sent events, ending with `ready` and the server's URL or `failed`
 * and the reason. A server that is not starting answers its state at once.
 * A stopping API ends the streams it follows with `reconnect`: the start
 * goes on at the hub, and another replica (or this one, restarted) answers.
 */
@injectable({scope: BindingScope.SINGLETON})
export class ServerProgressService {
  private readonly open = new Set<OpenStream>();
  private stopping = false;

  constructor(
    @repository(ServerRepository) private readonly servers: ServerRepository,
    @service(JupyterHubService) private readonly hub: JupyterHubService,
  ) {}

  async stream(id: string, response: Response): Promise<void> {
    const server = await this.servers.findById(id);
    response.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    const stream: OpenStream = {response, progress: 0};
    let closed = false;
    // The stream may have been ended for shutdown meanwhile; nothing may be written after its end.
    const gone = () => closed || response.writableEnded;
    const write = (text: string) => {
      if (!gone()) response.write(text);
    };
    const relay: Relay = {
      stream,
      url: this.hub.serverUrl(server.hubUser, server.name),
      send: event => {
        if (typeof event.progress === 'number') stream.progress = event.progress;
        write(`data: ${JSON.stringify(event)}\n\n`);
      },
      gone,
    };
    response.once('close', () => {
      closed = true;
      relay.following?.destroy();
    });
    const heartbeat = setInterval(() => write(': heartbeat\n\n'), HEARTBEAT_MS);
    this.open.add(stream);
    try {
      await this.follow(server, relay);
    } catch (err) {
      relay.send({progress: 100, failed: true, message: (err as Error).message});
    } finally {
      this.open.delete(stream);
      clearInterval(heartbeat);
      response.end();
    }
  }

  /**
   * Follows a start to its end. The record decides: the API marks a server
   * `starting` before it asks the hub to spawn it, and a spawn may end
   * between a read of the record and a request to the hub. So while the
   * record says `starting`, a hub that shows no spawn (404, 400, a stream
   * without an outcome) or a failure the record does not show yet (perhaps
   * that of an earlier spawn) is asked again after a short pause, with the
   * record read anew. Within HUB_TIMEOUT_MS of its claim a start has reached
   * the hub or given up, so looking stops once the hub has shown no spawn
   * pending for that long.
   */
  private async follow(server: Server, relay: Relay): Promise<void> {
    let quiet = this.hub.deadline();
    let pause = FIRST_PAUSE_MS;
    let hubFailure: string | undefined;
    for (;;) {
      if (server.status === 'running') {
        return relay.send({progress: 100, ready: true, message: 'The server is running', url: relay.url});
      }
      if (server.status !== 'starting') {
        return relay.send({progress: 100, failed: true, message: server.lastError ?? hubFailure ?? `The server is ${server.status}`});
      }
      if (this.stopping) return endForShutdown(relay.stream);
      if (quiet.remainingMs <= 0) {
        return relay.send({progress: 100, failed: true, message: hubFailure ?? 'JupyterHub shows no start of this server'});
      }
      const answer = await this.relayHub(server, relay);
      if (answer.ready === true || relay.gone()) return;
      if (answer.failed) hubFailure = answer.failed;
      if (answer.pending) {
        quiet = this.hub.deadline();
        pause = FIRST_PAUSE_MS;
      }
      await sleep(pause);
      pause = Math.min(2 * pause, LONGEST_PAUSE_MS);
      if (relay.gone()) return;
      server = await this.servers.findById(server._id);
    }
  }

  /** Relays the hub's progress events of the server's spawn, but for a failure, which the record confirms. */
  private async relayHub(server: Server, relay: Relay): Promise<HubAnswer> {
    const events = await this.hub.pendingProgress(server.hubUser, server.name);
    if (!events) return {};
    if (relay.gone()) {
      events.destroy();
      return {};
    }
    relay.following = events;
    const answer: HubAnswer = {};
    try {
      await readEvents(events, event => {
        if (event.ready === true) {
          answer.ready = true;
          relay.send({progress: event.progress, message: event.message, ready: true, url: relay.url});
        } else if (event.failed === true) {
          answer.failed = String(event.message ?? 'The spawn failed');
        } else {
          answer.pending = true;
          relay.send({progress: event.progress, message: event.message});
        }
        return answer.ready === true || answer.failed !== undefined;
      });
    } catch {
      // A hub stream cut short is one without an outcome: the record and the hub are asked again.
    } finally {
      relay.following = undefined;
    }
    return answer;
  }

  /**
   * The API is stopping: every open stream gets a last event with
   * `reconnect` and ends, and streams opened from now on end that way at
   * once. Answers how many were open.
   */
  closeStreams(): number {
    this.stopping = true;
    const count = this.open.size;
    for (const stream of this.open) endForShutdown(stream);
    this.open.clear();
    return count;
  }
}

function endForShutdown({response, progress}: OpenStream): void {
  if (response.writableEnded) return;
  const event = {progress, message: 'The API is restarting; the start goes on. Reconnect to follow it.', reconnect: true};
  response.end(`retry: ${RECONNECT_MS}\ndata: ${JSON.stringify(event)}\n\n`);
}
