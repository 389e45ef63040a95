import {BindingScope, injectable, service} from '@loopback/core';
import {repository} from '@loopback/repository';
import type {Response} from '@loopback/rest';
import {ServerRepository} from '../../repositories/server.repository';
import {readEvents} from '../../utils/event-stream.util';
import {JupyterHubService} from './jupyterhub.service';

const HEARTBEAT_MS = 15_000;
/** How soon a browser's EventSource comes back after the API closed its stream to stop. */
const RECONNECT_MS = 3_000;

interface OpenStream {
  response: Response;
  /** The last progress relayed, repeated in the final event. */
  progress: number;
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
    // The stream may have been ended for shutdown meanwhile; nothing may be written after its end.
    const write = (text: string) => {
      if (!response.writableEnded) response.write(text);
    };
    const send = (event: Record<string, unknown>) => {
      if (typeof event.progress === 'number') stream.progress = event.progress;
      write(`data: ${JSON.stringify(event)}\n\n`);
    };
    const url = this.hub.serverUrl(server.hubUser, server.name);
    const heartbeat = setInterval(() => write(': heartbeat\n\n'), HEARTBEAT_MS);
    this.open.add(stream);
    try {
      if (server.status === 'running') {
        send({progress: 100, ready: true, message: 'The server is running', url});
      } else if (server.status !== 'starting') {
        send({progress: 100, failed: true, message: server.lastError ?? `The server is ${server.status}`});
      } else if (this.stopping) {
        endForShutdown(stream);
      } else {
        const hubEvents = await this.hub.progress(server.hubUser, server.name);
        if (response.writableEnded) {
          hubEvents.destroy();
          return;
        }
        response.once('close', () => hubEvents.destroy());
        let finished = false;
        await readEvents(hubEvents, event => {
          finished = event.ready === true || event.failed === true;
          send({
            progress: event.progress,
            message: event.message,
            ...(event.ready ? {ready: true, url} : {}),
            ...(event.failed ? {failed: true} : {}),
          });
          return finished;
        });
        if (!finished) send({progress: 100, failed: true, message: 'JupyterHub ended the progress stream without an outcome'});
      }
    } catch (err) {
      send({progress: 100, failed: true, message: (err as Error).message});
    } finally {
      this.open.delete(stream);
      clearInterval(heartbeat);
      response.end();
    }
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
