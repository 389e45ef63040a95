import {expect} from '@loopback/testlab';
import {randomUUID} from 'node:crypto';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {LoggerService} from '../../src/services/logger.service';
import {ApiWorld, PEOPLE, TEMPLATE_BODY} from '../fixtures/api-world';
import {eventually} from '../fixtures/eventually';
import {HeadlessBrowser} from '../fixtures/headless-browser';
import {forSuite} from '../fixtures/for-suite';
import {HubWorld} from '../fixtures/hub-world';
import {JupyterHubHarness} from '../fixtures/jupyterhub-harness';
import {runInKernel} from '../fixtures/server-kernel';


/**
 * The product's promise, end to end on a real hub: a template's dataset
 * (read-only for this launcher, by the operating system), a writable dataset,
 * a module and both kinds of secret reach the server that starts, as seen by
 * code running in it; the secret's value is nowhere else.
 */
describe('A launched server has what its template promised (real hub, the repository\'s spawner)', () => {
  let hub: JupyterHubHarness;
  let world: ApiWorld;
  const apiLog: string[] = [];

  // RStudio is offered by the API but not installed on the test hub.
  forSuite(() => HubWorld.start({LOG_LEVEL: 'debug', HUB_APPLICATIONS: 'JupyterLab,Notebook,RStudio'}), async started => {
    ({hub, world} = started);
    (await world.api.app.get<LoggerService>('services.LoggerService')).useSink(line => apiLog.push(line));
  });

  it('mounts datasets (read-only where it must be), loads the module and sets the secrets, and the value leaks nowhere', async () => {
    const value = `e2e-secret-${randomUUID()}`;
    const owner = await world.as('owner');
    const reference = await owner.post('/datasets').send({name: 'Reference data', write_access: true}).expect(200);
    await owner.post('/volume/file').send({type: 'file', root: reference.body._id, name: 'readme.txt', content: 'from the owner'}).expect(200);
    await owner.post(`/datasets/${reference.body._id}/share`).send({relation: 'read', userArray: [PEOPLE.direct]}).expect(200);

    const launcher = await world.as('direct');
    const scratch = await launcher.post('/datasets').send({name: 'Scratch', write_access: true}).expect(200);
    const module = await launcher
      .post('/modules')
      .send({name: 'e2e-tool', version: '1.0', luaModuleFile: [{id: 'setenv', arguments: ['E2E_MODULE', 'loaded']}]})
      .expect(200);
    const home = path.join(hub.homesRoot, PEOPLE.direct);
    // No mount_path: the file goes to ~/.secrets under the secret's name.
    const rawPath = path.join(home, '.secrets', 'e2e.txt');
    const env = await launcher.post('/secrets').send({secretName: 'E2E env', type: 'env_var', value: {E2E_TOKEN: value}}).expect(200);
    const raw = await launcher.post('/secrets').send({secretName: 'e2e.txt', type: 'raw', value}).expect(200);

    const server = await launcher
      .post('/servers')
      .send({
        ...TEMPLATE_BODY,
        name: 'Everything',
        datasets: [reference.body._id, scratch.body._id],
        modules: [module.body._id],
        secrets: [env.body._id, raw.body._id],
      })
      .expect(200);
    const deadline = Date.now() + 60000;
    let status = server.body.status;
    while (status !== 'running') {
      const current = (await launcher.get(`/servers/${server.body._id}`).expect(200)).body;
      if (current.status === 'stopped') throw new Error(`The spawn failed: ${current.lastError}\n${hub.logs.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error('The server did not start within 60 s');
      status = current.status;
      await new Promise(resolve => setTimeout(resolve, 250));
    }

    const code = `
import json, os, stat, subprocess
datasets = os.path.join(${JSON.stringify(home)}, 'datasets')
seen = {'listing': sorted(os.listdir(datasets))}
seen['readme'] = open(os.path.join(datasets, 'Reference data', 'readme.txt')).read()
for name in ('Reference data', 'Scratch'):
    try:
        with open(os.path.join(datasets, name, 'written-by-the-server.txt'), 'w') as f:
            f.write('x')
        seen[name] = 'written'
    except OSError as e:
        seen[name] = e.strerror
seen['env'] = os.environ.get('E2E_TOKEN')
seen['raw'] = open(${JSON.stringify(rawPath)}).read()
seen['raw_mode'] = oct(stat.S_IMODE(os.stat(${JSON.stringify(rawPath)}).st_mode))
seen['module_env'] = os.environ.get('E2E_MODULE')
shell = subprocess.run(['bash', '-c', 'source /usr/share/lmod/lmod/init/bash; module list 2>&1; module load ${PEOPLE.direct}/e2e-tool/1.0 && echo reloaded'],
                       capture_output=True, text=True)
seen['module_list'] = shell.stdout
print(json.dumps(seen))
`;
    const serverUrl = `${hub.publicUrl}/user/${PEOPLE.direct}/${server.body.name}`;
    const seen = JSON.parse((await runInKernel(serverUrl, hub.token, code)).trim());
    expect(seen.listing).to.deepEqual(['Reference data', 'Scratch']);
    expect(seen.readme).to.equal('from the owner');
    expect(seen['Reference data']).to.equal('Read-only file system');
    expect(seen.Scratch).to.equal('written');
    expect(seen.env).to.equal(value);
    expect(seen.raw).to.equal(value);
    expect(seen.raw_mode).to.equal('0o600');
    expect(seen.module_env).to.equal('loaded');
    expect(seen.module_list).to.containEql('e2e-tool/1.0');
    expect(seen.module_list).to.containEql('reloaded');
    // The writable dataset was written for real; the read-only one was not.
    await fs.access(path.join(world.api.app.config.datasetsRoot, scratch.body._id, 'written-by-the-server.txt'));
    await expect(fs.access(path.join(world.api.app.config.datasetsRoot, reference.body._id, 'written-by-the-server.txt'))).to.be.rejected();

    // The value went from the store to the server and nowhere else.
    const hubDatabase = await fs.readFile(path.join(hub.dir, 'jupyterhub.sqlite'));
    expect(hubDatabase.includes(Buffer.from(value))).to.be.false();
    expect(hub.logs).not.to.containEql(value);
    expect(apiLog.length).to.be.greaterThan(0);
    expect(apiLog.join('\n')).not.to.containEql(value);
    // Nor did the raw secret land in the home on the host: it lives in the server's own mount namespace.
    await expect(fs.access(rawPath)).to.be.rejected();

    await launcher.put(`/servers/${server.body._id}/stop`).expect(200);
  });

  it('runs a program a module\'s writer put in its binaries folder, once the module is loaded inside the launched server', async () => {
    const owner = await world.as('owner');
    const module = await owner.post('/modules').send({name: 'e2e-programs', version: '2.0'}).expect(200);
    await owner.post(`/modules/${module.body._id}/share`).send({relation: 'write', userArray: [PEOPLE.writer]}).expect(200);
    await owner.post(`/modules/${module.body._id}/share`).send({relation: 'read', userArray: [PEOPLE.group]}).expect(200);
    const program = '#!/bin/sh\necho "hello-nbhub ran as uid $(id -u) with $1"\n';
    await (await world.as('writer'))
      .post('/volume/file')
      .send({type: 'file', root: `module:${module.body._id}`, name: 'hello-nbhub', content: program, executable: true})
      .expect(200);

    const launcher = await world.as('group');
    const server = await launcher.post('/servers').send({...TEMPLATE_BODY, name: 'Programs', modules: [module.body._id]}).expect(200);
    await eventually('the server runs', async () => {
      const current = (await launcher.get(`/servers/${server.body._id}`).expect(200)).body;
      if (current.status === 'stopped') throw new Error(`The spawn failed: ${current.lastError}\n${hub.logs.slice(-3000)}`);
      return current.status === 'running';
    }, 60000);

    // A clean shell in the server: the program is not found until the module is loaded there.
    const code = `
import os, subprocess
shell = subprocess.run(
    ['env', '-i', 'PATH=/usr/bin:/bin', 'HOME=' + os.environ['HOME'], 'MODULEPATH=' + os.environ['MODULEPATH'], 'bash', '-c',
     'source /usr/share/lmod/lmod/init/bash; command -v hello-nbhub || echo "not on PATH"; module load ${PEOPLE.owner}/e2e-programs/2.0 && hello-nbhub argument'],
    capture_output=True, text=True)
print(shell.stdout + shell.stderr)
`;
    const output = await runInKernel(`${hub.publicUrl}/user/${PEOPLE.group}/${server.body.name}`, hub.token, code);
    const lines = output.trim().split('\n');
    expect(lines[0]).to.equal('not on PATH');
    const ran = /^hello-nbhub ran as uid (\d+) with argument$/.exec(lines[1]);
    expect(ran).to.be.ok();
    expect(Number(ran![1])).to.not.equal(0);
    await launcher.put(`/servers/${server.body._id}/stop`).expect(200);
  });

  it('fails a spawn of an application the API offers but the hub lacks, saying so in lastError', async () => {
    // HUB_APPLICATIONS offers RStudio; the hub has none: it finds out once it has the plan.
    const launcher = await world.as('direct');
    const lab = {...TEMPLATE_BODY, name: 'Lab', applicationType: 'RStudio'};
    const kept = await launcher.post('/servers').query({start: false}).send(lab).expect(200);
    await launcher.put(`/servers/${kept.body._id}/start`);
    await eventually('the spawn failed', async () => (await launcher.get(`/servers/${kept.body._id}`).expect(200)).body.status === 'stopped');
    const stored = (await launcher.get(`/servers/${kept.body._id}`).expect(200)).body;
    expect(stored.lastError).to.match(/The application 'RStudio' is not installed on this hub \(installed: jupyterlab, notebook\)/);
  });

  it('D4: a plain hub login, a hub file link of before the launcher while nothing runs and the hub\'s own spawn page start no server the API does not track', async () => {
    const person = 'wanderer@lab.org';
    const user = await world.as(person);
    await user.put('/initialize').query({email: person}).expect(200);
    const file = await user.post('/volume/file').send({type: 'file', name: 'notes.txt', content: 'x'}).expect(200);
    // Links answered now go to the launcher; the ELN may still hold ones that went to the hub.
    expect(file.body.link).to.equal(`${world.api.url}/?open=notes.txt`);

    const browser = new HeadlessBrowser();
    await hub.signInAs(browser, person);
    await browser.open(`${hub.publicUrl}/hub/user-redirect/lab/tree/notes.txt`);
    // People hold no scope to start servers at the hub: the spawn page refuses before any spawner runs.
    expect((await browser.open(`${hub.publicUrl}/hub/spawn`)).status).to.equal(403);
    await new Promise(resolve => setTimeout(resolve, 1000));
    const servers = (await hub.api<{servers: Record<string, {ready: boolean; pending: string | null}>}>('GET', `/users/${person}`)).body.servers;
    const started = Object.entries(servers).filter(([, server]) => server.ready || server.pending);
    expect(started).to.deepEqual([]);
  });
});
