import {Application, BindingScope, CoreBindings, inject, injectable, service} from '@loopback/core';
import type {IncomingMessage, Server as HttpServer, ServerResponse} from 'node:http';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {ServerProgressService} from '../../kinds/server/server-progress.service';
import {LoggerService} from '../logger.service';

/** What the steps after the requests (observers, store) may take beyond the grace before the process gives up on them. */
export const SHUTDOWN_STEPS_MARGIN_SECONDS = 10;

/**
 * A graceful stop on SIGTERM or SIGINT, in the order of the application's
 * life cycle (`app.stop()`): the drain (new requests told `Connection:
 * close`, progress streams ended with `reconnect`), the REST server (no new
 * connections, in-flight requests answered within SHUTDOWN_GRACE_SECONDS,
 * then cut), the reconciler and the trash purge, and last the database.
 * Exits 0 when every request was answered and every step done, else 1.
 */
@injectable({scope: BindingScope.SINGLETON})
export class ShutdownService {
  private server?: HttpServer;
  private draining = false;
  private stopping = false;
  private readonly inFlight = new Set<ServerResponse>();
  private cut = 0;

  constructor(
    @inject(CoreBindings.APPLICATION_INSTANCE) private readonly app: Application,
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @service(ServerProgressService) private readonly progress: ServerProgressService,
    @service(LoggerService) private readonly logger: LoggerService,
  ) {}

  /** Stops the application gracefully on these signals, then ends the process. */
  handleSignals(signals: NodeJS.Signals[]): void {
    for (const signal of signals) {
      process.on(signal, () => {
        this.onSignal(signal).catch(() => process.exit(1));
      });
    }
  }

  /** Follows the requests of the HTTP server that just started listening. */
  track(server: HttpServer): void {
    this.server = server;
    this.draining = false;
    // Ahead of the application's own listener, so the header is set before any answer starts.
    server.prependListener('request', this.onRequest);
  }

  /** First step of a stop, before the REST server closes. */
  drain(): void {
    const server = this.server;
    if (!server || this.draining) return;
    this.draining = true;
    const graceSeconds = this.config.shutdownGraceSeconds;
    // Answers not begun yet close their connection too, instead of waiting for another request.
    for (const response of this.inFlight) if (!response.headersSent) response.setHeader('Connection', 'close');
    this.logger.info('shutdown: draining; new connections refused, in-flight requests may finish', {
      inFlight: this.inFlight.size,
      graceSeconds,
    });
    this.logger.info('shutdown: progress streams ended with a reconnect event', {streams: this.progress.closeStreams()});
    // The REST server destroys what is left at the same moment (its gracePeriodForClose).
    const graceOver = setTimeout(() => {
      this.cut = this.inFlight.size;
      if (this.cut > 0)
        this.logger.warn('shutdown: grace period over; cutting the requests still in flight', {requests: this.cut, graceSeconds});
    }, graceSeconds * 1000);
    graceOver.unref();
    server.once('close', () => {
      clearTimeout(graceOver);
      this.logger.info('shutdown: HTTP server closed', {requestsCut: this.cut});
    });
  }

  private readonly onRequest = (request: IncomingMessage, response: ServerResponse) => {
    this.inFlight.add(response);
    response.once('close', () => this.inFlight.delete(response));
    // A kept-alive connection must not carry more requests into a closing server.
    if (this.draining) response.setHeader('Connection', 'close');
  };

  private async onSignal(signal: NodeJS.Signals): Promise<void> {
    if (this.stopping) {
      this.logger.warn('shutdown: second signal; exiting at once', {signal});
      process.exit(1);
    }
    this.stopping = true;
    const graceSeconds = this.config.shutdownGraceSeconds;
    this.logger.info('shutdown: started', {signal, graceSeconds});
    const deadline = setTimeout(() => {
      this.logger.error('shutdown: steps still running past the grace period; exiting', {
        afterSeconds: graceSeconds + SHUTDOWN_STEPS_MARGIN_SECONDS,
      });
      process.exit(1);
    }, (graceSeconds + SHUTDOWN_STEPS_MARGIN_SECONDS) * 1000);
    deadline.unref();
    let exitCode = 0;
    try {
      await this.app.stop();
    } catch (err) {
      this.logger.error('shutdown: a step failed', {reason: (err as Error).message});
      exitCode = 1;
    }
    if (this.cut > 0) exitCode = 1;
    clearTimeout(deadline);
    this.logger.info('shutdown: complete', {exitCode});
    process.exit(exitCode);
  }
}
