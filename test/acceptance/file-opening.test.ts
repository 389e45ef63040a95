import {expect, supertest} from '@loopback/testlab';
import {ApiWorld, createdServer, PEOPLE, TEMPLATE_BODY, unique} from '../fixtures/api-world';
import {eventually} from '../fixtures/eventually';
import {HubWorld} from '../fixtures/hub-world';
import {JupyterHubHarness} from '../fixtures/jupyterhub-harness';
import {RunningApp, startReplica} from '../fixtures/test-app';

const NOTEBOOK = {cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5};

/**
 * POST /volume/open, which the launcher's `?open=` links (the ELN's) call:
 * a file of the caller's home opens in a server of theirs that runs, or in
 * their default template, started; on the real test hub.
 */
describe("Opening a file of one's home in a server (POST /volume/open)", () => {
  let hubWorld: HubWorld;
  let hub: JupyterHubHarness;
  let world: ApiWorld;
  let replica: RunningApp | undefined;

  before(async () => {
    hubWorld = await HubWorld.start();
    ({hub, world} = hubWorld);
  });

  after(async () => {
    await replica?.stop();
    await hubWorld?.stop();
  });

  /** A person with a notebook in their home; each test its own, so servers of one do not count for another. */
  async function personWithNotebook(prefix: string) {
    const email = `${unique(prefix)}@lab.org`;
    const person = await world.as(email);
    await person.put('/initialize').query({email}).expect(200);
    const file = await person.post('/volume/file').send({type: 'notebook', name: 'run.ipynb', path: 'eln', content: NOTEBOOK}).expect(200);
    expect(file.body.link).to.equal(`${world.api.url}/?open=eln%2Frun.ipynb`);
    return {email, person};
  }

  const running = async (person: Awaited<ReturnType<ApiWorld['as']>>, id: string) =>
    eventually('the server runs', async () => {
      const {status, lastError} = (await person.get(`/servers/${id}`).expect(200)).body;
      if (status === 'stopped') throw new Error(`The server stopped: ${lastError}`);
      return status === 'running';
    });

  it('refuses a path that could leave the home (400) and a file not there (404), and with nothing to start answers 409 no_default_template, starting nothing', async () => {
    const {person, email} = await personWithNotebook('nothing');
    await person.post('/volume/open').query({path: '../other/x.ipynb'}).expect(400);
    const missing = await person.post('/volume/open').query({path: 'eln/missing.ipynb'}).expect(404);
    expect(missing.body.error.code).to.equal('not_found');
    const none = await person.post('/volume/open').query({path: 'eln/run.ipynb'}).expect(409);
    expect(none.body.error.code).to.equal('no_default_template');
    expect((await person.get('/servers').query({owner: email}).expect(200)).body).to.deepEqual([]);
  });

  it('uses a running server of the person, starting nothing, and answers where the notebook opens in its application', async () => {
    const {person, email} = await personWithNotebook('running');
    const server = (await person.post('/servers').send(TEMPLATE_BODY).expect(200)).body;
    await running(person, server._id);
    const opened = await person.post('/volume/open').query({path: 'eln/run.ipynb'}).expect(200);
    expect(opened.body).to.containDeep({path: 'eln/run.ipynb', server: {_id: server._id, status: 'running'}});
    // TEMPLATE_BODY runs JupyterLab: FILE_LINK_PATH's default for it.
    expect(opened.body.url).to.equal(`${hub.publicUrl}/user/${email}/${server.name}/lab/tree/eln/run.ipynb`);
    expect((await person.get('/servers').query({owner: email}).expect(200)).body).to.have.length(1);
  });

  it('with nothing running, starts the template the person last launched again, on their stopped server of it', async () => {
    const {person, email} = await personWithNotebook('last');
    const template = (
      await person
        .post('/template')
        .send({...TEMPLATE_BODY, name: unique('Last')})
        .expect(200)
    ).body;
    const server = (await person.put('/servers').query({templateId: template._id}).expect(200)).body;
    await running(person, server._id);
    await person.put(`/servers/${server._id}/stop`).expect(200);
    await eventually('the server stopped', async () => (await person.get(`/servers/${server._id}`).expect(200)).body.status === 'stopped');

    const opened = await person.post('/volume/open').query({path: 'eln/run.ipynb'}).expect(200);
    expect(opened.body.server._id).to.equal(server._id);
    expect(opened.body.server.status).to.be.oneOf('starting', 'running');
    await running(person, server._id);
    expect(opened.body.url).to.equal(`${hub.publicUrl}/user/${email}/${server.name}/lab/tree/eln/run.ipynb`);
    expect((await person.get('/servers').query({owner: email}).expect(200)).body).to.have.length(1);
  });

  it('never opens a file in a server someone else runs and shares with the person: their home is not in it', async () => {
    const owner = await world.as('owner');
    const shared = await createdServer(owner, unique('Shared'));
    await owner
      .post(`/servers/${shared._id}/share`)
      .send({relation: 'write', userArray: [PEOPLE.direct]})
      .expect(200);
    await running(owner, shared._id);
    const direct = await world.as('direct');
    await direct.post('/volume/file').send({type: 'notebook', name: 'mine.ipynb', content: NOTEBOOK}).expect(200);
    const refused = await direct.post('/volume/open').query({path: 'mine.ipynb'}).expect(409);
    expect(refused.body.error.code).to.equal('no_default_template');
  });

  it("starts the operator's DEFAULT_TEMPLATE_ID before the last one launched; a default the person may not read is passed over", async () => {
    const admin = await world.as('admin');
    const featured = (
      await admin
        .post('/template')
        .send({...TEMPLATE_BODY, name: unique('Default'), type: 'featured', public: true})
        .expect(200)
    ).body;
    const hidden = (
      await admin
        .post('/template')
        .send({...TEMPLATE_BODY, name: unique('Hidden')})
        .expect(200)
    ).body;

    const {person, email} = await personWithNotebook('default');
    const own = await createdServer(person, unique('Own'));
    const stopped = async (id: string) => {
      await running(person, id);
      await person.put(`/servers/${id}/stop`).expect(200);
      await eventually('the server stopped', async () => (await person.get(`/servers/${id}`).expect(200)).body.status === 'stopped');
    };
    await stopped(own._id);

    const token = await world.tokenFor(email);
    const openWithDefault = async (templateId: string) => {
      await replica?.stop();
      replica = await startReplica(world.api, {hub: {...world.api.app.config.hub, defaultTemplateId: templateId}});
      const res = await supertest(replica.url).post('/volume/open').set('Authorization', `Bearer ${token}`).query({path: 'eln/run.ipynb'});
      expect(res.status).to.equal(200, JSON.stringify(res.body));
      return res.body;
    };

    const passedOver = await openWithDefault(hidden._id);
    expect(passedOver.server._id).to.equal(own._id);
    await stopped(own._id);

    const opened = await openWithDefault(featured._id);
    expect(opened.server).to.containDeep({owner: email, templateId: featured._id});
    await running(person, opened.server._id);
    expect(opened.url).to.equal(`${hub.publicUrl}/user/${email}/${opened.server.name}/lab/tree/eln/run.ipynb`);
  });
});
