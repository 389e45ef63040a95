import {expect} from '@loopback/testlab';
import {ApiWorld, PEOPLE, SHARED_ORG} from '../fixtures/api-world';
import {forSuite} from '../fixtures/for-suite';

describe('Names and organisations as people write them', () => {
  let world: ApiWorld;

  forSuite(() => ApiWorld.start({HUB_PUBLIC_URL: 'http://hub.example'}), started => (world = started));

  it('refuses a name of spaces only for datasets, templates and secrets', async () => {
    const owner = await world.as('owner');
    for (const [url, body] of [
      ['/datasets', {name: '   '}],
      ['/secrets', {secretName: '  ', type: 'raw', value: 'x'}],
    ] as const) {
      const res = await owner.post(url).send(body).expect(400);
      expect(res.body.error.code).to.equal('validation_failed');
    }
  });

  it('grants an organisation whatever the case it is written in', async () => {
    const owner = await world.as('owner');
    const dataset = await owner.post('/datasets').send({name: 'For the org'}).expect(200);
    const colleague = await world.as('org');
    await colleague.get(`/datasets/${dataset.body._id}`).expect(404);
    await owner.post(`/datasets/${dataset.body._id}/share`).send({relation: 'read', orgArray: [` ${SHARED_ORG.toUpperCase()} `]}).expect(200);
    await colleague.get(`/datasets/${dataset.body._id}`).expect(200);
    expect((await colleague.get('/datasets').expect(200)).body.map((d: {_id: string}) => d._id)).to.containEql(dataset.body._id);
    const access = await owner.get(`/datasets/${dataset.body._id}/access`).query({type: 'org'}).expect(200);
    expect(JSON.stringify(access.body)).to.containEql(SHARED_ORG);
    await owner.post(`/datasets/${dataset.body._id}/revoke`).send({relation: 'read', orgArray: [SHARED_ORG.toUpperCase()]}).expect(200);
    await colleague.get(`/datasets/${dataset.body._id}`).expect(404);
    expect(PEOPLE.org.endsWith(SHARED_ORG)).to.be.true();
  });
});
