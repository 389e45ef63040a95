/**
 * The bare Node reference of the benchmark: a plain http server doing the
 * same work per request as the API's route, and nothing else: verify the
 * RS256 bearer token with jose against the provider's keys and serialise the
 * same JSON (GET), or write the same bytes to a temporary file and rename it
 * over the target (POST /volume/file). Started as a child process by
 * bench/run.ts.
 */
import {createLocalJWKSet, JSONWebKeySet, jwtVerify} from 'jose';
import {promises as fs, readFileSync} from 'node:fs';
import http from 'node:http';
import path from 'node:path';

interface ReferenceSetup {
  port: number;
  issuer: string;
  audience: string;
  jwks: JSONWebKeySet;
  /** GET routes and the JSON they answer. */
  bodies: Record<string, unknown>;
  /** GET routes and the JSON they answer to a client whose Accept is envelopeMediaType. */
  envelopes: Record<string, unknown>;
  envelopeMediaType: string;
  /** Routes that need no token. */
  public: string[];
  writeDir: string;
}

const setup = JSON.parse(readFileSync(process.env.REFERENCE_SETUP_FILE ?? '', 'utf8')) as ReferenceSetup;
const keys = createLocalJWKSet(setup.jwks);
let writes = 0;

async function answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = req.url ?? '';
  if (!setup.public.includes(url)) {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) throw Object.assign(new Error('no token'), {status: 401});
    await jwtVerify(token, keys, {issuer: setup.issuer, audience: setup.audience});
  }
  if (req.method === 'POST' && url === '/volume/file') {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const target = path.join(setup.writeDir, body.name);
    const temporary = `${target}.${writes++}.tmp`;
    await fs.writeFile(temporary, `${JSON.stringify(body.content, null, 1)}\n`);
    await fs.rename(temporary, target);
    res.writeHead(200, {'Content-Type': 'application/json'});
    res.end(JSON.stringify({name: body.name, path: body.name}));
    return;
  }
  const answers = req.headers.accept === setup.envelopeMediaType ? setup.envelopes : setup.bodies;
  if (!(url in answers)) throw Object.assign(new Error('not found'), {status: 404});
  res.writeHead(200, {'Content-Type': 'application/json'});
  res.end(JSON.stringify(answers[url]));
}

http
  .createServer((req, res) => {
    answer(req, res).catch((err: {status?: number}) => res.writeHead(err.status ?? 401).end());
  })
  .listen(setup.port, '127.0.0.1', () => process.send?.('listening'));
