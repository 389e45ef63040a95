import {BindingScope, injectable, service} from '@loopback/core';
import {repository} from '@loopback/repository';
import type {Response} from '@loopback/rest';
import {ServerRepository} from '../../repositories/server.repository';
import {readEvents} from '../../utils/event-stream.util';
import {JupyterHubService} from './jupyterhub.service';

const HEARTBEAT_MS = 15_000;

/**
 * GET /servers/{id}/progress: the hub's spawn progress relayed as
 * server-sent events, ending with `ready` and the server's URL or `failed`
 * and the reason. A server that is not starting answers its state at once.
 */
@injectable({scope: BindingScope.SINGLETON})
export class ServerProgressService {
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
    const send = (event: object) => response.write(`data: ${JSON.stringify(event)}\n\n`);
    const url = this.hub.serverUrl(server.hubUser, server.name);
    const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), HEARTBEAT_MS);
    try {
      if (server.status === 'running') {
        send({progress: 100, ready: true, message: 'The server is running', url});
      } else if (server.status !== 'starting') {
        send({progress: 100, failed: true, message: server.lastError ?? `The server is ${server.status}`});
      } else {
        const hubEvents = await this.hub.progress(server.hubUser, server.name);
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
      clearInterval(heartbeat);
      response.end();
    }
  }
}
