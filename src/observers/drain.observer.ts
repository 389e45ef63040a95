import {CoreBindings, inject, lifeCycleObserver, LifeCycleObserver, service} from '@loopback/core';
import type {RestApplication} from '@loopback/rest';
import type {Server as HttpServer} from 'node:http';
import {ShutdownService} from '../services/lifecycle/shutdown.service';

/** Starts once the REST server listens, so it stops before the REST server closes (see the application's observer order). */
export const DRAIN_OBSERVER_GROUP = 'drain';

/**
 * Follows the HTTP server's requests while it runs, and opens a stop with
 * the drain: what keeps a connection open (progress streams, kept-alive
 * connections) is ended before the REST server waits for its connections.
 */
@lifeCycleObserver(DRAIN_OBSERVER_GROUP)
export class DrainObserver implements LifeCycleObserver {
  constructor(
    @inject(CoreBindings.APPLICATION_INSTANCE) private readonly app: RestApplication,
    @service(ShutdownService) private readonly shutdown: ShutdownService,
  ) {}

  start(): void {
    // No HTTP server when the REST server does not listen (listenOnStart false).
    const server = this.app.restServer.httpServer?.server;
    if (server) this.shutdown.track(server as HttpServer);
  }

  stop(): void {
    this.shutdown.drain();
  }
}
