import {expect} from '@loopback/testlab';
import Ajv from 'ajv';
import {promises as fs, readFileSync} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import {TEMPLATE_EXAMPLE} from '../../src/kinds/json-spec.helpers';
import {ApiProcess, startApiProcess} from '../fixtures/api-process';
import {signIn} from '../fixtures/sign-in';
import {SpawningHubDouble} from '../fixtures/spawning-hub-double';
import {forSuite} from '../fixtures/for-suite';

const GRACE_SECONDS = 10;
/** A 1.5 MB notebook, uploaded slowly enough to be in flight when the signal comes. */
const NOTEBOOK = {
  cells: [{cell_type: 'markdown', metadata: {}, source: ['x'.repeat(1_500_000)]}],
  metadata: {},
  nbformat: 4,
  nbformat_minor: 2,
};
const SPEC = JSON.parse(readFileSync(path.resolve(__dirname, '../../../openapi.json'), 'utf8'));
const validProgressEvent = new Ajv({strict: false}).compile(SPEC.components.schemas.ServerProgressEvent);

const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** The shutdown steps the process logged, in order, each checked to be a JSON line. */
function shutdownSteps(api: ApiProcess): string[] {
  const lines = api
    .output()
    .split('\n')
    .filter(line => /shutdown/.test(line));
  for (const line of lines) expect(() => JSON.parse(line)).to.not.throw();
  return lines.map(line => String(JSON.parse(line).message));
}

/** Whether a new TCP connection to the API is refused. */
function connectionRefused(url: string): Promise<boolean> {
  const {hostname, port} = new URL(url);
  return new Promise(resolve => {
    const socket = net.connect(Number(port), hostname === 'localhost' ? '127.0.0.1' : hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', err => resolve((err as NodeJS.ErrnoException).code === 'ECONNREFUSED'));
  });
}

/** A kept-alive connection that has answered one request and now sits idle; resolves `closed` when the API closes it. */
async function idleKeptAliveConnection(url: string): Promise<{closed: Promise<void>}> {
  const {port} = new URL(url);
  const socket = net.connect(Number(port), '127.0.0.1');
  const closed = new Promise<void>(resolve => socket.once('close', () => resolve()));
  let received = '';
  socket.on('data', chunk => (received += chunk));
  socket.write(`GET /health/live HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: keep-alive\r\n\r\n`);
  while (!/\r\n\r\n/.test(received)) await pause(20);
  expect(received).to.match(/^HTTP\/1\.1 200/);
  return {closed};
}

describe('Graceful shutdown of the running service (SIGTERM)', () => {
  it('answers a slow upload in flight, refuses new connections, closes idle ones, saves the file and exits 0 within the grace, logging each step', async () => {
    const api = await startApiProcess({SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS), LOG_LEVEL: 'info'});
    try {
      const tokens = await signIn(api.url, 'alice@example.org');
      const idle = await idleKeptAliveConnection(api.url);

      const boundary = 'shutdown-test-boundary';
      const body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.ipynb"\r\nContent-Type: application/json\r\n\r\n`,
        ),
        Buffer.from(JSON.stringify(NOTEBOOK)),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const upload = http.request(`${api.url}/volume/upload`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens.access_token}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': body.length,
        },
      });
      const answered = new Promise<{status: number; connection?: string; body: string}>((resolve, reject) => {
        upload.once('error', reject);
        upload.once('response', res => {
          let text = '';
          res.on('data', chunk => (text += chunk));
          res.once('end', () => resolve({status: res.statusCode!, connection: res.headers.connection, body: text}));
        });
      });
      const pieces = 20;
      const size = Math.ceil(body.length / pieces);
      for (let i = 0; i < pieces; i++) {
        upload.write(body.subarray(i * size, (i + 1) * size));
        await pause(100);
        if (i === 5) {
          api.child.kill('SIGTERM');
          const draining = await api.waitForLog(/^shutdown: draining/);
          expect(draining.inFlight).to.equal(1);
          let refused = false;
          for (let attempt = 0; attempt < 100 && !refused; attempt++) {
            refused = await connectionRefused(api.url);
            if (!refused) await pause(20);
          }
          expect(refused).to.be.true();
          await idle.closed;
          // All of that while the upload is still being sent: the process waits for it.
          expect(api.child.exitCode).to.be.null();
        }
      }
      upload.end();

      const res = await answered;
      expect(res.status).to.equal(200, res.body);
      expect(JSON.parse(res.body)).to.containDeep({message: 'Notebook uploaded', files: ['slow.ipynb']});
      expect(res.connection).to.equal('close');
      expect(await api.exited).to.deepEqual({code: 0, signal: null});
      const saved = path.join(api.dataDir, 'homes', 'alice@example.org', 'slow.ipynb');
      expect(JSON.parse(await fs.readFile(saved, 'utf8'))).to.deepEqual(NOTEBOOK);
      await expect(fs.access(path.join(api.dataDir, 'db.json.lock'))).to.be.rejected();

      expect(shutdownSteps(api)).to.deepEqual([
        'shutdown: started',
        'shutdown: draining; new connections refused, in-flight requests may finish',
        'shutdown: progress streams ended with a reconnect event',
        'shutdown: HTTP server closed',
        'shutdown: trash purge stopped',
        'shutdown: database closed',
        'shutdown: complete',
      ]);
      const lines = api.logLines();
      const started = lines.find(line => line.message === 'shutdown: started')!;
      const complete = lines.find(line => line.message === 'shutdown: complete')!;
      expect(started).to.containDeep({signal: 'SIGTERM', graceSeconds: GRACE_SECONDS});
      expect(complete).to.containDeep({exitCode: 0});
      expect(lines.find(line => line.message === 'shutdown: HTTP server closed')).to.containDeep({requestsCut: 0});
      expect(Date.parse(String(complete.time)) - Date.parse(String(started.time))).to.be.below(GRACE_SECONDS * 1000);
    } finally {
      api.child.kill('SIGKILL');
    }
  });

  it('cuts a request still in flight when the grace is over, and exits 1 saying so', async () => {
    const api = await startApiProcess({SHUTDOWN_GRACE_SECONDS: '1', LOG_LEVEL: 'info'});
    try {
      const tokens = await signIn(api.url, 'carol@example.org');
      const stalled = http.request(`${api.url}/volume/upload`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens.access_token}`,
          'content-type': 'multipart/form-data; boundary=b',
          'content-length': 1_000_000,
        },
      });
      const outcome = new Promise<string>(resolve => {
        stalled.once('error', err => resolve((err as NodeJS.ErrnoException).code ?? err.message));
        stalled.once('response', res => resolve(`answered ${res.statusCode}`));
      });
      stalled.write('--b\r\nContent-Disposition: form-data; name="file"; filename="never.ipynb"\r\n\r\n{');
      // The API streams the file to DATA_DIR/uploads as it comes: there, the request is in flight.
      const uploads = path.join(api.dataDir, 'uploads');
      while ((await fs.readdir(uploads).catch(() => [])).length === 0) await pause(20);
      api.child.kill('SIGTERM');
      expect(await outcome).to.match(/ECONNRESET|socket hang up/);
      expect((await api.exited).code).to.equal(1);
      const lines = api.logLines();
      expect(lines.find(line => /^shutdown: grace period over/.test(String(line.message)))).to.containDeep({level: 'warn', requests: 1});
      expect(lines.find(line => line.message === 'shutdown: HTTP server closed')).to.containDeep({requestsCut: 1});
      expect(lines.find(line => line.message === 'shutdown: complete')).to.containDeep({exitCode: 1});
      await expect(fs.access(path.join(api.dataDir, 'db.json.lock'))).to.be.rejected();
    } finally {
      api.child.kill('SIGKILL');
    }
  });

  describe('with a server starting at the hub', () => {
    let hub: SpawningHubDouble;

    forSuite(() => SpawningHubDouble.start(), started => (hub = started));

    it('ends an open progress stream with a final reconnect event, then stops the reconciler and exits 0', async () => {
      const api = await startApiProcess({
        SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
        LOG_LEVEL: 'info',
        HUB_API_URL: hub.apiUrl,
        HUB_API_TOKEN: 'hub-token-of-the-api-service',
        HUB_RECONCILE_INTERVAL: '3600',
      });
      try {
        const tokens = await signIn(api.url, 'bob@example.org');
        const authorization = `Bearer ${tokens.access_token}`;
        const created = await fetch(`${api.url}/servers`, {
          method: 'POST',
          headers: {authorization, 'content-type': 'application/json'},
          body: JSON.stringify(TEMPLATE_EXAMPLE),
        });
        const server = (await created.json()) as {_id: string; status: string};
        expect(created.status).to.equal(200, JSON.stringify(server));
        expect(server.status).to.equal('starting');

        let text = '';
        const ended = new Promise<{status: number; contentType?: string}>((resolve, reject) => {
          http
            .get(`${api.url}/servers/${server._id}/progress`, {headers: {authorization, accept: 'text/event-stream'}}, res => {
              res.on('data', chunk => (text += chunk));
              res.once('end', () => resolve({status: res.statusCode!, contentType: res.headers['content-type']}));
              res.once('error', reject);
            })
            .once('error', reject);
        });
        while (!text.includes('\n\n')) await pause(20);
        api.child.kill('SIGTERM');

        expect(await ended).to.containDeep({status: 200, contentType: 'text/event-stream'});
        const events = text
          .split('\n\n')
          .filter(block => block.trim() !== '')
          .map(block => ({
            retry: /^retry: (\d+)$/m.exec(block)?.[1],
            data: JSON.parse(/^data: (.*)$/m.exec(block)![1]),
          }));
        expect(events[0].data).to.deepEqual(SpawningHubDouble.EVENT);
        const last = events[events.length - 1];
        expect(last.data).to.containDeep({progress: SpawningHubDouble.EVENT.progress, reconnect: true});
        expect(Number(last.retry)).to.be.above(0);
        for (const {data} of events) expect(validProgressEvent(data) ? [] : validProgressEvent.errors).to.deepEqual([]);

        expect(await api.exited).to.deepEqual({code: 0, signal: null});
        expect(api.logLines().find(line => line.message === 'shutdown: progress streams ended with a reconnect event')).to.containDeep({
          streams: 1,
        });
        expect(shutdownSteps(api)).to.containDeep(['shutdown: server status reconciliation stopped']);
        expect(shutdownSteps(api).slice(-2)).to.deepEqual(['shutdown: database closed', 'shutdown: complete']);
      } finally {
        api.child.kill('SIGKILL');
      }
    });
  });
});
