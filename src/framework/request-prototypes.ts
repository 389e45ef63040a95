import type {RestServer} from '@loopback/rest';
import {IncomingMessage, Server, ServerResponse} from 'node:http';
import type {Socket} from 'node:net';

/**
 * Express gives each request and response its app's prototypes (its init
 * middleware calls Object.setPrototypeOf on both), and V8 pays for changing
 * the prototype of an object that already has its properties: measured on
 * this API, that was a quarter of GET /version's time and much of its
 * garbage. Node can create them with those prototypes from the start (the
 * IncomingMessage and ServerResponse options of http.createServer), which
 * leaves express nothing to change. LoopBack creates its server without
 * options: they are given to it once it listens, where http.Server keeps
 * them (its own symbols). Connections accepted before, or a Node.js that
 * keeps them elsewhere, get Node's classes, which express changes as before
 * (a test holds that this Node.js takes them).
 */
export function useExpressPrototypes(restServer: RestServer): void {
  // No HTTP server when the REST server does not listen (listenOnStart false).
  const server = restServer.httpServer?.server;
  const express = restServer.requestHandler as unknown as {request?: object; response?: object};
  if (server instanceof Server && express.request && express.response) createWithPrototypes(server, express.request, express.response);
}

/** Whether `server` now creates its requests and responses with these prototypes (false: its Node.js keeps its classes elsewhere). */
export function createWithPrototypes(server: Server, request: object, response: object): boolean {
  const option = (name: string) => Object.getOwnPropertySymbols(server).find(symbol => symbol.description === name);
  const [requestClass, responseClass] = [option('IncomingMessage'), option('ServerResponse')];
  if (!requestClass || !responseClass) return false;
  function Request(socket: Socket): IncomingMessage {
    return Reflect.construct(IncomingMessage, [socket], Request) as IncomingMessage;
  }
  Request.prototype = request;
  function Response(req: IncomingMessage, options: object): ServerResponse {
    return Reflect.construct(ServerResponse, [req, options], Response) as ServerResponse;
  }
  Response.prototype = response;
  Object.assign(server, {[requestClass]: Request, [responseClass]: Response});
  return true;
}
