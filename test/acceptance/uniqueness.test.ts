import {expect} from '@loopback/testlab';
import {ApiWorld, TEMPLATE_BODY} from '../fixtures/api-world';

/** Sends `count` requests at once and answers their statuses and bodies. */
async function atOnce(count: number, send: (i: number) => PromiseLike<{status: number; body: {name?: string}}>) {
  return Promise.all(Array.from({length: count}, (_, i) => send(i)));
}

/** Every unique key holds when 50 creates of it arrive together. */
describe('Uniqueness under concurrency', () => {
  let world: ApiWorld;

  before(async () => {
    world = await ApiWorld.start({HUB_PUBLIC_URL: 'http://hub.example'});
  });

  after(async () => {
    await world?.stop();
  });

  it('creates one module of 50 parallel creates of one (owner, name, version); the others are 409', async () => {
    const owner = await world.as('owner');
    const answers = await atOnce(50, () => owner.post('/modules').send({name: 'contended', version: '1.0'}));
    expect(answers.filter(a => a.status === 200)).to.have.length(1);
    expect(answers.filter(a => a.status !== 200).map(a => a.status)).to.deepEqual(Array(49).fill(409));
    expect((await owner.get('/modules').query({name: 'contended'}).expect(200)).body).to.have.length(1);
  });

  it('creates one group of 50 parallel creates of one name, whatever its case and surrounding spaces', async () => {
    const owner = await world.as('owner');
    const spellings = ['Lab members', 'lab members', ' LAB MEMBERS ', 'Lab Members  '];
    const answers = await atOnce(50, i => owner.post('/groups').send({name: spellings[i % spellings.length]}));
    expect(answers.filter(a => a.status === 200)).to.have.length(1);
    expect(answers.filter(a => a.status !== 200).map(a => a.status)).to.deepEqual(Array(49).fill(409));
    const [created] = answers.filter(a => a.status === 200);
    expect(created.body.name).to.equal(created.body.name!.trim());
    await owner.post('/groups').send({name: '   '}).expect(400);
  });

  it('gives 50 servers created at once on one template 50 different names', async () => {
    const owner = await world.as('owner');
    const template = await owner.post('/template').send({...TEMPLATE_BODY, name: 'Many at once'}).expect(200);
    const answers = await atOnce(50, () => owner.put('/servers').query({templateId: template.body._id, start: false}));
    expect(answers.map(a => a.status)).to.deepEqual(Array(50).fill(200));
    expect(new Set(answers.map(a => a.body.name)).size).to.equal(50);
  });
});
