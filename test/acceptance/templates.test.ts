import {expect} from '@loopback/testlab';
import type {DbDataSource} from '../../src/datasources/db.datasource';
import {TemplateRepository} from '../../src/kinds/template/template.repository';
import {ApiWorld, PEOPLE, TEMPLATE_BODY, unique} from '../fixtures/api-world';
import {forSuite} from '../fixtures/for-suite';

interface TemplateAnswer {
  _id: string;
  datasets?: string[];
  modules?: string[];
  secrets?: string[];
  hiddenReferences?: {datasets: number; modules: number; secrets: number};
}

describe('Templates', () => {
  let world: ApiWorld;

  forSuite(() => ApiWorld.start({HUB_PUBLIC_URL: 'http://hub.example'}), started => (world = started));

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

  describe('references a viewer may not read', () => {
    it('are left out of every template answer, counted in hiddenReferences, until the viewer may read them', async () => {
      const alice = await world.as('owner');
      const bob = await world.as('direct');
      const admin = await world.as('admin');
      const privateDataset = (await alice.post('/datasets').send({name: unique('private-')}).expect(200)).body._id;
      const sharedDataset = (await alice.post('/datasets').send({name: unique('shared-')}).expect(200)).body._id;
      await alice.post(`/datasets/${sharedDataset}/share`).send({relation: 'read', userArray: [PEOPLE.direct]}).expect(200);
      const publicModule = (await admin.post('/modules').send({name: unique('public-'), version: '1.0', featured: true}).expect(200)).body._id;
      const privateModule = (await alice.post('/modules').send({name: unique('mine-'), version: '1.0'}).expect(200)).body._id;
      const secret = (await alice.post('/secrets').send({secretName: unique('key-'), type: 'env_var', value: {API_KEY: 'x'}}).expect(200)).body._id;
      const created = await alice
        .post('/template')
        .send({
          ...TEMPLATE_BODY,
          name: unique('public-'),
          public: true,
          datasets: [privateDataset, sharedDataset],
          modules: [publicModule, privateModule],
          secrets: [secret],
        })
        .expect(200);
      const id = created.body._id as string;
      const everything = {datasets: [privateDataset, sharedDataset], modules: [publicModule, privateModule], secrets: [secret]};
      expect(created.body).to.containDeep(everything);
      expect(created.body).to.not.have.property('hiddenReferences');

      const asBob = async () => {
        const listed = ((await bob.get('/templates').expect(200)).body as TemplateAnswer[]).find(t => t._id === id)!;
        const read = (await bob.get(`/templates/${id}`).expect(200)).body as TemplateAnswer;
        expect(listed).to.deepEqual(read);
        return read;
      };
      const shown = await asBob();
      expect({datasets: shown.datasets, modules: shown.modules, secrets: shown.secrets}).to.deepEqual({datasets: [sharedDataset], modules: [publicModule], secrets: []});
      expect(shown.hiddenReferences).to.deepEqual({datasets: 1, modules: 1, secrets: 1});
      const text = JSON.stringify((await bob.get('/templates').expect(200)).body);
      for (const hidden of [privateDataset, privateModule, secret]) expect(text).to.not.containEql(hidden);

      await alice.post(`/datasets/${sharedDataset}/revoke`).send({relation: 'read', userArray: [PEOPLE.direct]}).expect(200);
      const afterRevoke = await asBob();
      expect(afterRevoke.datasets).to.deepEqual([]);
      expect(afterRevoke.hiddenReferences).to.deepEqual({datasets: 2, modules: 1, secrets: 1});

      for (const viewer of [alice, admin]) {
        const read = (await viewer.get(`/templates/${id}`).expect(200)).body as TemplateAnswer;
        expect(read).to.containDeep(everything);
        expect(read).to.not.have.property('hiddenReferences');
        const listed = ((await viewer.get('/templates').expect(200)).body as TemplateAnswer[]).find(t => t._id === id)!;
        expect(listed).to.deepEqual(read);
      }

      // A writer who may not read them changes the template without being shown them.
      await alice.post(`/templates/${id}/share`).send({relation: 'write', userArray: [PEOPLE.direct]}).expect(200);
      const patched = await bob.patch('/template').query({templateId: id}).send({description: 'edited by Bob'}).expect(200);
      expect(patched.body).to.containDeep({description: 'edited by Bob', datasets: [], modules: [publicModule], secrets: []});
      expect(patched.body.hiddenReferences).to.deepEqual({datasets: 2, modules: 1, secrets: 1});
      expect((await alice.get(`/templates/${id}`).expect(200)).body).to.containDeep(everything);
    });

    it('costs a list the same number of database queries whatever the number of templates and references on the page', async () => {
      const alice = await world.as('owner');
      const bob = await world.as('direct');
      const tag = unique('cost');
      for (let i = 0; i < 12; i++) {
        const dataset = (await alice.post('/datasets').send({name: unique('cost-')}).expect(200)).body._id;
        if (i % 2 === 0) await alice.post(`/datasets/${dataset}/share`).send({relation: 'read', userArray: [PEOPLE.direct]}).expect(200);
        const module = (await alice.post('/modules').send({name: unique('cost-'), version: '1.0'}).expect(200)).body._id;
        await alice.post('/template').send({...TEMPLATE_BODY, name: unique('cost-'), public: true, tags: [tag], datasets: [dataset], modules: [module]}).expect(200);
      }
      const datasource = await world.api.app.get<DbDataSource>('datasources.db');
      const connector = datasource.connector as unknown as {all: (...args: unknown[]) => unknown};
      const all = connector.all;
      let queries = 0;
      connector.all = function (this: unknown, ...args: unknown[]) {
        queries++;
        return all.apply(this, args);
      };
      const cost = async (limit: number) => {
        queries = 0;
        const page = (await bob.get('/templates').query({limit}).expect(200)).body as TemplateAnswer[];
        expect(page).to.have.length(limit);
        return queries;
      };
      try {
        const one = await cost(1);
        expect(one).to.be.greaterThan(0);
        expect(await cost(12)).to.equal(one);
      } finally {
        connector.all = all;
      }
    });
  });
});
