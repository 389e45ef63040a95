import {expect} from '@loopback/testlab';
import {TemplateRepository} from '../../src/repositories/template.repository';
import {ApiWorld, PEOPLE, TEMPLATE_BODY, unique} from '../fixtures/api-world';

interface TemplateAnswer {
  _id: string;
}

describe('Templates', () => {
  let world: ApiWorld;

  before(async () => {
    world = await ApiWorld.start({HUB_PUBLIC_URL: 'http://hub.example'});
  });

  after(async () => {
    await world?.stop();
  });

  const fields = (res: {body: {error: {details?: Array<{path: string}>}}}) => (res.body.error.details ?? []).map(d => d.path);

  describe('what the hub could not start is refused when written', () => {
    /** Every template and server of the owner, to hold equal across a refusal. */
    const snapshot = async () => {
      const owner = await world.as('owner');
      const templates = (await owner.get('/templates').query({email: PEOPLE.owner}).expect(200)).body as Array<{_id: string; filePath?: string; applicationType: string}>;
      const servers = (await owner.get('/servers').expect(200)).body as Array<{_id: string}>;
      return {templates: templates.map(t => `${t._id} ${t.applicationType} ${t.filePath}`).sort(), servers: servers.map(s => s._id).sort()};
    };

    for (const filePath of ['/etc/passwd', 'a/../../b', '..', 'notes/../..', 'bad\u0001name.ipynb', '']) {
      it(`refuses the filePath ${JSON.stringify(filePath)} with 400 naming it: create, update and POST /servers`, async () => {
        const owner = await world.as('owner');
        const existing = await owner.post('/template').send({...TEMPLATE_BODY, name: unique('kept-'), filePath: 'kept.ipynb'}).expect(200);
        const before = await snapshot();
        const created = await owner.post('/template').send({...TEMPLATE_BODY, name: unique('bad-'), filePath}).expect(400);
        expect(fields(created)).to.deepEqual(['/filePath']);
        const updated = await owner.patch('/template').query({templateId: existing.body._id}).send({filePath, description: 'changed'}).expect(400);
        expect(fields(updated)).to.deepEqual(['/filePath']);
        const launched = await owner.post('/servers').query({start: false}).send({...TEMPLATE_BODY, name: unique('bad-'), filePath}).expect(400);
        expect(fields(launched)).to.deepEqual(['/filePath']);
        expect(await snapshot()).to.deepEqual(before);
        expect((await owner.get(`/templates/${existing.body._id}`).expect(200)).body).to.containDeep({filePath: 'kept.ipynb', description: TEMPLATE_BODY.description});
      });
    }

    it('takes a filePath relative to the home folder', async () => {
      const owner = await world.as('owner');
      const created = await owner.post('/template').send({...TEMPLATE_BODY, name: unique('ok-'), filePath: 'projects/.hidden/analysis v2.ipynb'}).expect(200);
      expect(created.body.filePath).to.equal('projects/.hidden/analysis v2.ipynb');
    });

    it('refuses an application the hub does not offer with 400 listing the offered ones, and takes one in any case', async () => {
      const owner = await world.as('owner');
      expect((await owner.get('/volume/applications').expect(200)).body).to.deepEqual(['JupyterLab', 'Notebook']);
      const existing = await owner.post('/template').send({...TEMPLATE_BODY, name: unique('kept-')}).expect(200);
      const before = await snapshot();
      for (const res of [
        await owner.post('/template').send({...TEMPLATE_BODY, name: unique('emacs-'), applicationType: 'Emacs'}).expect(400),
        await owner.patch('/template').query({templateId: existing.body._id}).send({applicationType: 'Emacs'}).expect(400),
        await owner.post('/servers').query({start: false}).send({...TEMPLATE_BODY, name: unique('emacs-'), applicationType: 'Emacs'}).expect(400),
      ]) {
        expect(res.body.error.code).to.equal('validation_failed');
        expect(fields(res)).to.deepEqual(['/applicationType']);
        expect(res.body.error.message).to.match(/Emacs.*JupyterLab, Notebook/);
      }
      expect(await snapshot()).to.deepEqual(before);
      // Saved as the hub spells it.
      const lab = await owner.post('/template').send({...TEMPLATE_BODY, name: unique('lab-'), applicationType: 'jupyterlab'}).expect(200);
      expect(lab.body.applicationType).to.equal('JupyterLab');
      const patched = await owner.patch('/template').query({templateId: existing.body._id}).send({applicationType: 'NOTEBOOK'}).expect(200);
      expect(patched.body.applicationType).to.equal('Notebook');
    });

    it('offers the applications HUB_APPLICATIONS names', async () => {
      const other = await ApiWorld.start({HUB_PUBLIC_URL: 'http://hub.example', HUB_APPLICATIONS: 'RStudio'});
      try {
        const owner = await other.as('owner');
        expect((await owner.get('/volume/applications').expect(200)).body).to.deepEqual(['RStudio']);
        const res = await owner.post('/template').send({...TEMPLATE_BODY, applicationType: 'Notebook'}).expect(400);
        expect(res.body.error.message).to.match(/it offers RStudio$/);
        await owner.post('/template').send({...TEMPLATE_BODY, applicationType: 'rstudio'}).expect(200);
      } finally {
        await other.stop();
      }
    });

    it('still answers a template saved before these rules, and lets its other fields change', async () => {
      const templates = await world.api.app.getRepository(TemplateRepository);
      const old = await templates.create({
        ...TEMPLATE_BODY,
        type: 'custom',
        name: unique('old-'),
        applicationType: 'VSCode',
        filePath: '/home/someone/notes.ipynb',
        creator: PEOPLE.owner,
        timestamp: new Date(),
        serverName: unique('old-'),
      });
      const owner = await world.as('owner');
      expect((await owner.get(`/templates/${old._id}`).expect(200)).body).to.containDeep({applicationType: 'VSCode', filePath: '/home/someone/notes.ipynb'});
      const listed = (await owner.get('/templates').expect(200)).body as TemplateAnswer[];
      expect(listed.map(t => t._id)).to.containEql(old._id);
      await owner.patch('/template').query({templateId: old._id}).send({description: 'renamed'}).expect(200);
    });
  });
});
