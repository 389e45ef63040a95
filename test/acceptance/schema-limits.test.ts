import {expect} from '@loopback/testlab';
import {ApiWorld, TEMPLATE_BODY} from '../fixtures/api-world';
import {forSuite} from '../fixtures/for-suite';

interface ErrorBody {
  error: {statusCode: number; code?: string; message: string; details?: Array<{path: string; code: string}>};
}
const schemaCodes = (body: ErrorBody) => (body.error.details ?? []).map(d => `${d.path} ${d.code}`);

/** Every array limit openapi.json declares holds at the limit and refuses one past it. */
describe('Schema limits, at and past each', () => {
  let world: ApiWorld;

  forSuite(() => ApiWorld.start({HUB_PUBLIC_URL: 'http://hub.example'}), started => (world = started));

  it('takes 20 template tags of 50 characters, and refuses a 21st tag or a 51-character one', async () => {
    const owner = await world.as('owner');
    const tags = (count: number, length = 5) => Array.from({length: count}, (_, i) => `${i}`.padEnd(length, 't'));
    await owner.post('/template').send({...TEMPLATE_BODY, name: 'Twenty tags', tags: tags(20, 50)}).expect(200);
    const tooMany = await owner.post('/template').send({...TEMPLATE_BODY, name: 'Too many', tags: tags(21)}).expect(400);
    expect(schemaCodes(tooMany.body)).to.containEql('/tags maxItems');
    const tooLong = await owner.post('/template').send({...TEMPLATE_BODY, name: 'Too long', tags: tags(1, 51)}).expect(400);
    expect(schemaCodes(tooLong.body)).to.containEql('/tags/0 maxLength');
  });

  it('refuses 101 dataset, module or secret ids by the schema; 100 reach the reference check', async () => {
    const owner = await world.as('owner');
    const ids = (count: number) => Array.from({length: count}, (_, i) => `missing-${i}`);
    for (const kind of ['datasets', 'modules', 'secrets']) {
      const past = await owner.post('/template').send({...TEMPLATE_BODY, [kind]: ids(101)}).expect(400);
      expect(schemaCodes(past.body)).to.containEql(`/${kind} maxItems`);
      const at = await owner.post('/template').send({...TEMPLATE_BODY, [kind]: ids(100)}).expect(400);
      expect(at.body.error.message).to.match(/do not exist or are not readable/);
    }
  });

  it('takes 200 modulefile calls with arguments of 4096 characters, and refuses a 201st call, a 33rd argument or a longer one', async () => {
    const owner = await world.as('owner');
    const call = (value = 'v') => ({id: 'setenv', arguments: ['NAME', value]});
    const at = {name: 'at-limits', version: '1', luaModuleFile: [...Array.from({length: 199}, () => call()), call('x'.repeat(4096))]};
    await owner.post('/modules').send(at).expect(200);
    const tooMany = await owner.post('/modules').send({name: 'too-many', version: '1', luaModuleFile: Array.from({length: 201}, () => call())}).expect(400);
    expect(tooMany.body.error.message).to.match(/at most 200 calls/);
    const longArgument = await owner.post('/modules').send({name: 'too-long', version: '1', luaModuleFile: [call('x'.repeat(4097))]}).expect(400);
    expect(schemaCodes(longArgument.body)).to.containEql('/luaModuleFile/0/arguments/1 maxLength');
    const arguments33 = Array.from({length: 33}, () => 'a');
    const manyArguments = await owner.post('/modules').send({name: 'many-args', version: '1', luaModuleFile: [{id: 'setenv', arguments: arguments33}]}).expect(400);
    expect(schemaCodes(manyArguments.body)).to.containEql('/luaModuleFile/0/arguments maxItems');
  });
});
