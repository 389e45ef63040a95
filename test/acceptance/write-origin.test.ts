import {expect} from '@loopback/testlab';
import {ApiWorld} from '../fixtures/api-world';
import {forSuite} from '../fixtures/for-suite';

const ELN_ORIGIN = 'https://openbis.lab.org';

/** A browser page of another origin cannot write, though CORS alone would only hide the answer from it. */
describe('Writes from browser pages of origins the API does not allow', () => {
  let world: ApiWorld;
  let owner: Awaited<ReturnType<ApiWorld['as']>>;

  forSuite(() => ApiWorld.start({ELN_ORIGINS: ELN_ORIGIN, CORS_ORIGINS: 'https://ui.lab.org'}), async started => {
    world = started;
    owner = await world.as('owner');
  });

  const write = (origin: string | undefined, name: string) =>
    owner
      .post('/volume/file')
      .set(origin ? {Origin: origin} : {})
      .send({type: 'file', name, content: 'x'});

  it('refuses a write from another origin with 403 origin_not_allowed, and writes nothing', async () => {
    const res = await write('https://evil.example', 'from-evil.txt').expect(403);
    expect(res.body.error).to.containDeep({statusCode: 403, code: 'origin_not_allowed'});
    await owner.get('/volume/file').query({path: 'from-evil.txt'}).expect(404);
    const dataset = await owner.post('/datasets').set('Origin', 'null').send({name: 'From a sandboxed page'}).expect(403);
    expect(dataset.body.error.code).to.equal('origin_not_allowed');
  });

  it('takes writes without an Origin, from its own origin, from CORS_ORIGINS, and from ELN_ORIGINS on the ELN route only', async () => {
    await write(undefined, 'from-a-client.txt').expect(200);
    await write(new URL(world.api.url).origin, 'from-its-own-page.txt').expect(200);
    await write('https://ui.lab.org', 'from-the-ui.txt').expect(200);
    await write(ELN_ORIGIN, 'from-the-eln.txt').expect(200);
    const dataset = await owner.post('/datasets').set('Origin', ELN_ORIGIN).send({name: 'From the ELN page'}).expect(403);
    expect(dataset.body.error.code).to.equal('origin_not_allowed');
    // Reads are not writes: CORS decides what a page may read.
    await owner.get('/datasets').set('Origin', 'https://evil.example').expect(200);
  });
});
