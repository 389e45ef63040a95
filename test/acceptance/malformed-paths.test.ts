import {expect} from '@loopback/testlab';
import {ApiWorld} from '../fixtures/api-world';
import {forSuite} from '../fixtures/for-suite';

describe('Path parameters with a malformed percent-encoding', () => {
  let world: ApiWorld;

  forSuite(() => ApiWorld.start(), started => (world = started));

  for (const [method, url] of [
    ['get', '/datasets/%ff%fe'],
    ['get', '/modules/%e0%a4'],
    ['post', '/templates/%c3/share'],
    ['delete', '/secret/%ff'],
    ['get', '/servers/abc%zz/progress'],
    ['delete', '/groups/g1/members/%ff%40org.org'],
  ] as const) {
    it(`answers ${method.toUpperCase()} ${url} with 400 and a JSON error, not 500`, async () => {
      const owner = await world.as('owner');
      const res = await owner[method](url).send(method === 'post' ? {email: 'a@b.org'} : undefined);
      expect(res.status).to.equal(400, res.text);
      expect(res.type).to.equal('application/json');
      expect(res.body.error).to.containDeep({statusCode: 400, code: 'bad_request'});
      expect(res.body.error.message).to.match(/malformed percent-encoding/);
    });
  }

  it('still decodes a well-formed one', async () => {
    const owner = await world.as('owner');
    const res = await owner.get('/datasets/%41bc');
    expect(res.status).to.equal(404, res.text);
  });
});
