import {expect, supertest} from '@loopback/testlab';
import type {IncomingMessage, Server, ServerResponse} from 'node:http';
import {RunningApp, startApp} from '../fixtures/test-app';
import {forSuite} from '../fixtures/for-suite';

/**
 * The HTTP server creates each request and response with express's
 * prototypes (see RequestPrototypesObserver), so that express's per-request
 * change of prototypes changes nothing: a Node.js that keeps the server's
 * classes elsewhere fails here instead of the API quietly getting slower.
 */
describe("Requests and responses are created with express's prototypes", () => {
  let api: RunningApp;

  forSuite(() => startApp(), started => (api = started));

  it('so express, which gives them those prototypes, has none to change, and the API answers as before', async () => {
    const server = api.app.restServer.httpServer!.server as Server;
    const express = api.app.restServer.requestHandler as unknown as {request: object; response: object};
    const created: Array<{request: boolean; response: boolean}> = [];
    // Before express's own listener: the objects as the server made them.
    const look = (request: IncomingMessage, response: ServerResponse) =>
      created.push({
        request: Object.getPrototypeOf(request) === express.request,
        response: Object.getPrototypeOf(response) === express.response,
      });
    server.prependListener('request', look);
    try {
      const client = supertest(api.url);
      const version = await client.get('/version').expect(200);
      expect(version.body).to.have.property('version');
      await client.get('/datasets').expect(401);
      await client.post('/datasets').send({name: 'x'}).expect(401);
    } finally {
      server.removeListener('request', look);
    }
    expect(created).to.deepEqual(Array(3).fill({request: true, response: true}));
  });
});
