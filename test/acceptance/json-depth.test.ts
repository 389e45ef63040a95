import {expect} from '@loopback/testlab';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {JSON_MAX_DEPTH} from '../../src/utils/json-depth.util';
import {ApiWorld, PEOPLE} from '../fixtures/api-world';
import {temporaryFolder} from '../fixtures/test-app';

/** JSON text of `depth` nested lists around a 0. */
const nested = (depth: number) => `${'['.repeat(depth)}0${']'.repeat(depth)}`;
const notebookWith = (metadata: string) =>
  `{"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# Hello"]}], "metadata": {"deep": ${metadata}}, "nbformat": 4, "nbformat_minor": 2}`;

describe('JSON nested too deep, and notebook files that indentation would blow up', () => {
  let world: ApiWorld;
  let home: string;

  before(async () => {
    const homes = await temporaryFolder('homes');
    world = await ApiWorld.start({HOMES_ROOT: homes});
    home = path.join(homes, PEOPLE.owner);
  });

  after(async () => {
    await world.stop();
  });

  const expectDepthRefusal = (res: {status: number; text: string; body: {error: {code: string; message: string}}}) => {
    expect(res.status).to.equal(400, res.text);
    expect(res.body.error.code).to.equal('validation_failed');
    expect(res.body.error.message).to.match(new RegExp(`more than ${JSON_MAX_DEPTH} levels deep`));
    expect(res.text).not.to.match(/RangeError|call stack/);
  };

  it('refuses a JSON body 3,000 levels deep with 400 naming the limit, and stores nothing', async () => {
    const owner = await world.as('owner');
    for (const [url, body] of [
      ['/volume/file', `{"type": "file", "name": "deep.txt", "content": ${nested(3000)}}`],
      ['/secrets', `{"secretName": "deep", "type": "raw", "value": ${nested(3000)}}`],
      ['/datasets', nested(3000)],
    ]) {
      expectDepthRefusal(await owner.post(url).set('content-type', 'application/json').send(body));
    }
    await expect(fs.access(path.join(home, 'deep.txt'))).to.be.rejected();
    expect((await owner.get('/secrets').expect(200)).body).to.deepEqual([]);
  });

  it(`takes a body ${JSON_MAX_DEPTH} levels deep, and refuses one level more`, async () => {
    const owner = await world.as('owner');
    // The body object is the first level, so the lists may take the others.
    const at = (depth: number) => `{"type": "file", "name": "ok.txt", "content": "x", "extra": ${nested(depth - 1)}}`;
    const res = await owner.post('/volume/file').set('content-type', 'application/json').send(at(JSON_MAX_DEPTH));
    expect(res.text).not.to.match(/levels deep/);
    expectDepthRefusal(
      await owner
        .post('/volume/file')
        .set('content-type', 'application/json')
        .send(at(JSON_MAX_DEPTH + 1)),
    );
  });

  it('refuses a notebook whose metadata nests a list 2,600 deep, as text or as an upload, and stores nothing', async () => {
    const owner = await world.as('owner');
    const text = notebookWith(nested(2600));
    expect(text.length).to.be.below(5400);
    expectDepthRefusal(await owner.post('/volume/file').send({type: 'notebook', name: 'deep.ipynb', content: text}));
    expectDepthRefusal(await owner.post('/volume/upload').attach('file', Buffer.from(text), 'deep.ipynb'));
    await expect(fs.access(path.join(home, 'deep.ipynb'))).to.be.rejected();
  });

  it('writes a notebook indented as Jupyter does, unless the indentation would more than double it', async () => {
    const owner = await world.as('owner');
    const plain = JSON.parse(notebookWith('{"a": [1, 2]}'));
    await owner.post('/volume/file').send({type: 'notebook', name: 'plain.ipynb', content: plain}).expect(200);
    expect(await fs.readFile(path.join(home, 'plain.ipynb'), 'utf8')).to.equal(`${JSON.stringify(plain, null, 1)}\n`);

    const text = notebookWith(`${'['.repeat(90)}${'0,'.repeat(2000)}0${']'.repeat(90)}`);
    await owner.post('/volume/file').send({type: 'notebook', name: 'deep.ipynb', content: text}).expect(200);
    const stored = await fs.readFile(path.join(home, 'deep.ipynb'), 'utf8');
    // Indented, each of the 2,001 zeros would take a line of 93 spaces: 190 KB.
    expect(stored.length).to.be.below(2 * text.length);
    expect(JSON.parse(stored)).to.deepEqual(JSON.parse(text));
  });

  it('refuses a body with a __proto__ key, or a constructor holding prototype, at any level, with 400 and stores nothing', async () => {
    const owner = await world.as('owner');
    for (const body of [
      '{"__proto__": {"admin": true}, "name": "proto"}',
      '{"name": "proto", "description": "x", "nested": {"list": [{"__proto__": {}}]}}',
      '{"name": "proto", "constructor": {"prototype": {"admin": true}}}',
      '{"name": "proto", "constructor": {"prototype.admin": true}}',
      '{"name": "proto", "\\u005f_proto__": {}}',
    ]) {
      const res = await owner.post('/datasets').set('content-type', 'application/json').send(body);
      expect({status: res.status, code: res.body.error?.code, message: res.body.error?.message}).to.containDeep({status: 400, code: 'bad_request'});
      expect(res.body.error.message).to.match(/JSON string cannot contain "(__proto__|constructor\.prototype|constructor)" key/);
    }
    expect((await owner.get('/datasets').query({name: 'proto'}).expect(200)).body).to.deepEqual([]);
    // A key merely named so inside a string value is data.
    await owner.post('/datasets').send({name: 'proto', description: '{"__proto__": 1}'}).expect(200);
  });
});
