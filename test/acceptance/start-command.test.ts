import {expect} from '@loopback/testlab';
import {ChildProcess, spawn} from 'node:child_process';
import path from 'node:path';
import {freePort} from '../fixtures/free-port';
import {signIn} from '../fixtures/sign-in';
import {temporaryFolder} from '../fixtures/test-app';

const ENTRY = path.resolve(__dirname, '../../src/index.js');

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>;
}

/** Runs the built service as `npm start` does, with only the given environment. */
function run(env: Record<string, string>, cwd: string): Started {
  const child = spawn(process.execPath, [ENTRY], {cwd, env: {PATH: process.env.PATH ?? '', ...env}});
  let output = '';
  child.stdout.on('data', chunk => (output += chunk));
  child.stderr.on('data', chunk => (output += chunk));
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>(resolve =>
    child.once('exit', (code, signal) => resolve({code, signal})),
  );
  return {child, output: () => output, exited};
}

async function waitForListening(started: Started): Promise<void> {
  const deadline = Date.now() + 20000;
  while (!/is listening at/.test(started.output())) {
    if (Date.now() > deadline || started.child.exitCode !== null) {
      throw new Error(`The service did not start:\n${started.output()}`);
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

describe('The start command with no configuration', () => {
  it('serves /version, the explorer and /openapi.json, signs a test user in, and exits on SIGTERM', async () => {
    const port = await freePort();
    const cwd = await temporaryFolder('cwd');
    const started = run({PORT: String(port)}, cwd);
    try {
      await waitForListening(started);
      expect(started.output()).to.match(/embedded development OpenID provider/);
      const base = `http://localhost:${port}`;
      expect((await fetch(`${base}/version`)).status).to.equal(200);
      expect((await fetch(`${base}/explorer/`)).status).to.equal(200);
      expect((await fetch(`${base}/openapi.json`)).status).to.equal(200);
      const tokens = await signIn(base, 'alice@example.org');
      const whoami = await fetch(`${base}/whoami`, {headers: {authorization: `Bearer ${tokens.access_token}`}});
      expect(await whoami.json()).to.containDeep({email: 'alice@example.org', admin: true});
    } finally {
      started.child.kill('SIGTERM');
    }
    // The app stops gracefully and exits 0 (see graceful-shutdown.test.ts).
    expect(await started.exited).to.deepEqual({code: 0, signal: null});
    await expect(fetch(`http://localhost:${port}/version`)).to.be.rejected();
  });

  it('refuses to start in production without an issuer, saying which settings are missing', async () => {
    const started = run({NODE_ENV: 'production'}, await temporaryFolder('cwd'));
    expect((await started.exited).code).to.equal(1);
    expect(started.output()).to.match(/OIDC_ISSUER is required when NODE_ENV=production/);
    expect(started.output()).to.match(/AUTH_STATE_SECRET is required/);
    expect(started.output()).to.not.match(/at .*\.js:\d+/);
  });
});
