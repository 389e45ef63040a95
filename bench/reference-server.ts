/**
 * The bare Node reference of the benchmark: a plain http server doing the
 * same work per request as the API's route (verify the RS256 bearer token
 * with jose against the provider's keys, serialise the same JSON), and
 * nothing else. Started as a child process by bench/run.ts.
 */
import {createLocalJWKSet, JSONWebKeySet, jwtVerify} from 'jose';
import http from 'node:http';

interface ReferenceSetup {
  port: number;
  issuer: string;
  audience: string;
  jwks: JSONWebKeySet;
  bodies: Record<string, unknown>;
}

const setup = JSON.parse(process.env.REFERENCE_SETUP ?? '{}') as ReferenceSetup;
const keys = createLocalJWKSet(setup.jwks);

http
  .createServer((req, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const body = setup.bodies[req.url ?? ''];
    if (!token || body === undefined) {
      res.writeHead(404).end();
      return;
    }
    jwtVerify(token, keys, {issuer: setup.issuer, audience: setup.audience}).then(
      () => {
        res.writeHead(200, {'Content-Type': 'application/json'});
        res.end(JSON.stringify(body));
      },
      () => res.writeHead(401).end(),
    );
  })
  .listen(setup.port, '127.0.0.1', () => process.send?.('listening'));
