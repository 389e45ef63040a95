import {expect, supertest} from '@loopback/testlab';
import {ApiWorld} from '../fixtures/api-world';
import {forSuite} from '../fixtures/for-suite';

describe('Rate limits (RATE_LIMIT_AUTH_PER_MINUTE, RATE_LIMIT_WRITES_PER_MINUTE)', () => {
  let world: ApiWorld;
  let client: supertest.SuperTest<supertest.Test>;
  const bearer = async (email: string) => `Bearer ${await world.tokenFor(email)}`;

  forSuite(() => ApiWorld.start({RATE_LIMIT_AUTH_PER_MINUTE: '3', RATE_LIMIT_WRITES_PER_MINUTE: '2'}), started => {
    world = started;
    client = world.client;
  });

  it("answers /auth/* from one client address 429 with Retry-After once the minute's calls are used, and other addresses as before", async () => {
    const from = (address: string) => ({'X-Forwarded-For': address});
    await client.post('/auth/authorize').set(from('198.51.100.7')).send({}).expect(200);
    await client.post('/auth/authorize').set(from('198.51.100.7')).send({}).expect(200);
    // Every /auth route counts, whatever it answers.
    await client.post('/auth/token').set(from('198.51.100.7')).send({code: 'c', state: 's'}).expect(400);
    const refused = await client.post('/auth/authorize').set(from('198.51.100.7')).send({}).expect(429);
    expect(refused.body.error).to.containDeep({statusCode: 429, code: 'rate_limited'});
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).to.be.within(1, 60);
    await client.post('/auth/refresh').set(from('198.51.100.7')).send({refresh_token: 'r'}).expect(429);

    await client.post('/auth/authorize').set(from('203.0.113.9')).send({}).expect(200);
    // Routes outside /auth are not counted per address.
    await client.get('/version').set(from('198.51.100.7')).expect(200);
  });

  it("answers a caller's writes 429 once the minute's writes are used; their reads and other callers' writes pass", async () => {
    const bob = await bearer('bob@example.org');
    await client.post('/groups').set('Authorization', bob).send({name: 'Bob one'}).expect(200);
    await client.post('/groups').set('Authorization', bob).send({name: 'Bob two'}).expect(200);
    const refused = await client.post('/groups').set('Authorization', bob).send({name: 'Bob three'}).expect(429);
    expect(refused.body.error.code).to.equal('rate_limited');
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);

    const groups = await client.get('/groups').set('Authorization', bob).expect(200);
    expect(groups.body.map((group: {name: string}) => group.name).sort()).to.deepEqual(['Bob one', 'Bob two']);
    await client
      .post('/groups')
      .set('Authorization', await bearer('carol@example.org'))
      .send({name: 'Carol one'})
      .expect(200);
  });
});
