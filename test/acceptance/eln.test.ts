import {expect} from '@loopback/testlab';
import {readFileSync, promises as fs} from 'node:fs';
import path from 'node:path';
import {ApiWorld, TEMPLATE_BODY} from '../fixtures/api-world';
import {HeadlessBrowser} from '../fixtures/headless-browser';
import {HubWorld} from '../fixtures/hub-world';
import {JupyterHubHarness} from '../fixtures/jupyterhub-harness';
import {OpenbisDouble} from '../fixtures/openbis-double';
import {forSuite} from '../fixtures/for-suite';

/** The notebook of the ELN-Jupyter webservice's example request, as the openBIS ELN sends it. */
const SEED_NOTEBOOK = JSON.parse(readFileSync(path.resolve(__dirname, '../../../test/fixtures/eln-seed-notebook.json'), 'utf8'));
const FOLDER = 'my_folder';
const FILENAME = '20160929145446460-369.ipynb';
const USER = 'testuser';
const EMAIL = `${USER}@lab.org`;
const ELN_ORIGIN = 'https://openbis.lab.org';
const FORM_TYPE = 'application/x-www-form-urlencoded; charset=UTF-8';

describe('The openBIS ELN writes a notebook into a user\'s home', () => {
  let hub: JupyterHubHarness;
  let openbis: OpenbisDouble;
  let world: ApiWorld;

  forSuite(() => OpenbisDouble.start(), started => (openbis = started));
  forSuite(
    () => HubWorld.start({OPENBIS_URL: openbis.url, OPENBIS_USER_DOMAIN: 'lab.org', ELN_ORIGINS: ELN_ORIGIN}),
    started => ({hub, world} = started),
  );

  const elnPost = (token: string, body: object = SEED_NOTEBOOK) =>
    world.client.post('/volume/file').query({token, folder: FOLDER, filename: FILENAME}).send(body);

  it('refuses an invalid or expired openBIS token with 401 and writes nothing', async () => {
    const res = await elnPost('nobody-20160929145446460xDEADBEEF').expect(401);
    expect(res.body.error.message).to.match(/openBIS session token is not valid/);
    const token = openbis.login(USER);
    openbis.logout(token);
    await elnPost(token).expect(401);
    await expect(fs.access(path.join(hub.homesRoot, EMAIL))).to.be.rejected();
  });

  it('answers 404 with a clear message when the user does not exist on the hub', async () => {
    const res = await elnPost(openbis.login(USER)).expect(404);
    expect(res.body.error.message).to.match(/does not exist on JupyterHub/);
    await expect(fs.access(path.join(hub.homesRoot, EMAIL))).to.be.rejected();
  });

  it('writes the ELN\'s example notebook into the user\'s home and answers the launcher\'s link; opening it there leads to the notebook in the running server', async () => {
    // The user signs in to the Notebooks Hub and launches a server once.
    const user = await world.as(EMAIL);
    await user.put('/initialize').query({email: EMAIL}).expect(200);
    const server = await user.post('/servers').send(TEMPLATE_BODY).expect(200);
    const deadline = Date.now() + 30000;
    while ((await user.get(`/servers/${server.body._id}`)).body.status !== 'running') {
      if (Date.now() > deadline) throw new Error('the server did not start');
      await new Promise(resolve => setTimeout(resolve, 250));
    }

    const res = await elnPost(openbis.login(USER)).expect(200);
    expect(res.body).to.containDeep({name: FILENAME, path: `${FOLDER}/${FILENAME}`, root: 'home', type: 'notebook'});
    const written = JSON.parse(await fs.readFile(path.join(hub.homesRoot, EMAIL, FOLDER, FILENAME), 'utf8'));
    expect(written).to.deepEqual(SEED_NOTEBOOK);
    expect(res.body.link).to.equal(`${world.api.url}/?open=${encodeURIComponent(`${FOLDER}/${FILENAME}`)}`);

    // What the launcher does with the link: the running server, and the notebook in JupyterLab.
    const opened = await user.post('/volume/open').query({path: new URL(res.body.link).searchParams.get('open')}).expect(200);
    expect(opened.body.server._id).to.equal(server.body._id);
    const inServer = `${hub.publicUrl}/user/${EMAIL}/${server.body.name}/lab/tree/${FOLDER}/${FILENAME}`;
    expect(opened.body.url).to.equal(inServer);

    const browser = new HeadlessBrowser();
    await hub.signInAs(browser, EMAIL);
    const page = await browser.open(opened.body.url);
    expect(page.status).to.equal(200);
    expect(page.url).to.equal(inServer);
    // JupyterLab's page, which opens the notebook the link names once its scripts run.
    expect(page.body).to.match(/<title>JupyterLab<\/title>/);
    expect(page.body).to.containEql(`"treePath": "${FOLDER}/${FILENAME}"`);
  });

  it('overwrites an existing notebook, keeping the old one as a checkpoint', async () => {
    const changed = {...SEED_NOTEBOOK, cells: SEED_NOTEBOOK.cells.slice(0, 1)};
    await elnPost(openbis.login(USER), changed).expect(200);
    const checkpoints = await (await world.as(EMAIL))
      .get('/volume/checkpoints')
      .query({path: `${FOLDER}/${FILENAME}`})
      .expect(200);
    expect(checkpoints.body).to.have.length(1);
  });

  it('takes the request as the ELN page sends it: the notebook JSON as a urlencoded UTF-8 body, from its origin, answering fileName', async () => {
    const notebook = {...SEED_NOTEBOOK, cells: [{cell_type: 'markdown', metadata: {}, source: 'Probe Ä µ 試料'}]};
    const res = await world.client
      .post('/volume/file')
      .query({token: openbis.login(USER), folder: FOLDER, filename: 'from-the-page.ipynb'})
      .set('Origin', ELN_ORIGIN)
      .set('Content-Type', FORM_TYPE)
      .send(JSON.stringify(notebook))
      .expect(200);
    expect(res.headers['access-control-allow-origin']).to.equal(ELN_ORIGIN);
    expect(res.body).to.containDeep({name: 'from-the-page.ipynb', fileName: 'from-the-page.ipynb', path: `${FOLDER}/from-the-page.ipynb`});
    const written = JSON.parse(await fs.readFile(path.join(hub.homesRoot, EMAIL, FOLDER, 'from-the-page.ipynb'), 'utf8'));
    expect(written).to.deepEqual(notebook);
  });

  it('opens CORS to the ELN origins on the ELN route alone: another origin and other routes get no CORS grant, and another origin\'s write is refused', async () => {
    const preflight = (origin: string, url = '/volume/file') =>
      world.client.options(url).set('Origin', origin).set('Access-Control-Request-Method', 'POST');
    const allowed = await preflight(ELN_ORIGIN);
    expect(allowed.status).to.be.within(200, 204);
    expect(allowed.headers['access-control-allow-origin']).to.equal(ELN_ORIGIN);
    expect(allowed.headers['access-control-allow-methods']).to.equal('POST');
    expect((await preflight('https://evil.example.org')).headers['access-control-allow-origin']).to.be.undefined();
    expect((await preflight(ELN_ORIGIN, '/secrets')).headers['access-control-allow-origin']).to.be.undefined();
    const elsewhere = await world.client
      .post('/volume/file')
      .query({token: openbis.login(USER), folder: FOLDER, filename: 'elsewhere.ipynb'})
      .set('Origin', 'https://evil.example.org')
      .set('Content-Type', FORM_TYPE)
      .send(JSON.stringify(SEED_NOTEBOOK));
    expect(elsewhere.headers['access-control-allow-origin']).to.be.undefined();
    // Nor is the write done: CORS alone would only hide the answer from that page.
    expect(elsewhere.status).to.equal(403);
    expect(elsewhere.body.error.code).to.equal('origin_not_allowed');
    await expect(fs.access(path.join(hub.homesRoot, EMAIL, FOLDER, 'elsewhere.ipynb'))).to.be.rejected();
  });

  it('refuses a urlencoded body that is not the notebook\'s JSON, or holds a __proto__ key, and one without an ELN token', async () => {
    const token = openbis.login(USER);
    const bad = await world.client
      .post('/volume/file')
      .query({token, folder: FOLDER, filename: 'bad.ipynb'})
      .set('Content-Type', FORM_TYPE)
      .send('cells=1&metadata=2');
    expect(bad.status).to.equal(400);
    expect(bad.body.error.message).to.match(/notebook as JSON/);
    const polluting = await world.client
      .post('/volume/file')
      .query({token, folder: FOLDER, filename: 'bad.ipynb'})
      .set('Content-Type', FORM_TYPE)
      .send(JSON.stringify({...SEED_NOTEBOOK, metadata: JSON.parse('{"__proto__": {"polluted": true}}')}));
    expect(polluting.status).to.equal(400);
    expect(polluting.body.error.message).to.match(/cannot contain "__proto__"/);
    const user = await world.as(EMAIL);
    const noToken = await user.post('/volume/file').set('Content-Type', FORM_TYPE).send(JSON.stringify({type: 'file', name: 'x.txt', content: 'x'}));
    expect(noToken.status).to.be.within(400, 415);
    await expect(fs.access(path.join(hub.homesRoot, EMAIL, FOLDER, 'bad.ipynb'))).to.be.rejected();
    await expect(fs.access(path.join(hub.homesRoot, EMAIL, 'x.txt'))).to.be.rejected();
  });

  it('refuses an invalid notebook and a hostile folder with 400', async () => {
    const token = openbis.login(USER);
    await elnPost(token, {cells: 'not a list', metadata: {}, nbformat: 4, nbformat_minor: 2}).expect(400);
    await world.client.post('/volume/file').query({token, folder: '../../etc', filename: FILENAME}).send(SEED_NOTEBOOK).expect(400);
    await world.client.post('/volume/file').query({token, folder: FOLDER}).send(SEED_NOTEBOOK).expect(400);
  });
});
