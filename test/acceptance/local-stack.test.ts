import {expect} from '@loopback/testlab';
import {ChildProcess, spawn} from 'node:child_process';
import {once} from 'node:events';
import path from 'node:path';
import {freePorts} from '../fixtures/free-port';
import {HeadlessBrowser} from '../fixtures/headless-browser';
import {signIn} from '../fixtures/sign-in';
import {serverVisibleFolder} from '../fixtures/jupyterhub-harness';

const REPOSITORY = path.resolve(__dirname, '../../..');

/**
 * The README's one-machine command, run exactly as a newcomer runs it
 * (`npm run local-stack` in the repository), on free ports: the hub and the
 * API come up wired together, a test user signs in to the API, launches a
 * JupyterLab server from a template, signs in to the hub through the same
 * provider and opens JupyterLab and a notebook in that server.
 */
describe('The local stack: npm run local-stack', () => {
  let child: ChildProcess | undefined;
  let output = '';

  after(async () => {
    if (!child || child.exitCode !== null) return;
    process.kill(-child.pid!, 'SIGTERM');
    const timer = setTimeout(() => process.kill(-child!.pid!, 'SIGKILL'), 30000);
    await once(child, 'exit');
    clearTimeout(timer);
  });

  it('starts the hub and the API; a newcomer launches a JupyterLab template and opens it and a notebook in the running server', async () => {
    const [port, hubPort, hubApiPort, proxyApiPort] = await freePorts(4);
    child = spawn('npm', ['run', 'local-stack'], {
      cwd: REPOSITORY,
      detached: true,
      env: {
        ...process.env,
        PORT: String(port),
        HUB_PORT: String(hubPort),
        HUB_API_PORT: String(hubApiPort),
        HUB_PROXY_API_PORT: String(proxyApiPort),
        // Not under /tmp, which every server gets a private copy of.
        LOCAL_STACK_DIR: await serverVisibleFolder('local-stack'),
      },
    });
    child.stdout!.on('data', chunk => (output += chunk));
    child.stderr!.on('data', chunk => (output += chunk));
    const deadline = Date.now() + 240000;
    while (!/Notebooks Hub is running/.test(output)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`The local stack did not start:\n${output.slice(-4000)}`);
      await new Promise(resolve => setTimeout(resolve, 250));
    }
    const api = `http://127.0.0.1:${port}`;
    const hub = `http://127.0.0.1:${hubPort}`;
    const person = 'bob@example.org';

    const {access_token: token} = await signIn(api, person);
    const call = async (method: string, url: string, body?: object): Promise<Record<string, string>> => {
      const res = await fetch(`${api}${url}`, {
        method,
        headers: {Authorization: `Bearer ${token}`, 'Content-Type': 'application/json'},
        body: body && JSON.stringify(body),
      });
      const answer = (await res.json()) as Record<string, string>;
      expect(res.status).to.equal(200, `${method} ${url}: ${JSON.stringify(answer)}`);
      return answer;
    };
    const template = await call('POST', '/template', {
      name: 'First steps',
      description: 'A JupyterLab server',
      applicationType: 'JupyterLab',
      hardware: 'small',
      type: 'custom',
      public: false,
    });
    const server = await call('PUT', `/servers?templateId=${template._id}`);
    const notebook = {cells: [{cell_type: 'markdown', metadata: {}, source: ['# Hello']}], metadata: {}, nbformat: 4, nbformat_minor: 2};
    const file = await call('POST', '/volume/file', {type: 'notebook', name: 'first-steps.ipynb', content: notebook});
    let status = server.status;
    while (status !== 'running') {
      const current = await call('GET', `/servers/${server._id}`);
      if (current.status === 'stopped') throw new Error(`The spawn failed: ${current.lastError}`);
      if (Date.now() > deadline) throw new Error('The server did not start');
      status = current.status;
      await new Promise(resolve => setTimeout(resolve, 500));
    }

    // The hub signs the same person in through the API's provider, then sends them to the UI.
    const browser = new HeadlessBrowser();
    await browser.navigate(`${hub}/hub/oauth_login`, `${api}/`, {login: person, password: 'any password'});
    const lab = await browser.open(`${hub}/user/${person}/${server.name}/lab`);
    expect(lab.status).to.equal(200);
    expect(lab.body).to.match(/<title>JupyterLab<\/title>/);
    // Notebook 7 is offered too: its pages are served by the same Jupyter Server.
    const tree = await browser.open(`${hub}/user/${person}/${server.name}/tree`);
    expect(tree.status).to.equal(200);
    expect(tree.body).to.match(/<title>Home<\/title>/);
    expect(file.link).to.equal(`${api}/?open=first-steps.ipynb`);
    const opened = (await call('POST', '/volume/open?path=first-steps.ipynb')) as unknown as {url: string; server: {_id: string}};
    expect(opened.server._id).to.equal(server._id);
    const inServer = `${hub}/user/${person}/${server.name}/lab/tree/first-steps.ipynb`;
    expect(opened.url).to.equal(inServer);
    const page = await browser.open(opened.url);
    expect(page.status).to.equal(200);
    expect(page.url).to.equal(inServer);
    expect(page.body).to.match(/<title>JupyterLab<\/title>/);
    expect(page.body).to.containEql('"treePath": "first-steps.ipynb"');
  });
});
