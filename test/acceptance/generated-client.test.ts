import {expect} from '@loopback/testlab';
import createClient, {Middleware} from 'openapi-fetch';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {Readable} from 'node:stream';
import type {ReadableStream as WebReadableStream} from 'node:stream/web';
import {readEvents} from '../../src/utils/event-stream.util';
import type {components, paths} from '../generated/notebooks-hub-api';
import {disagreement} from '../fixtures/contract-hook';
import {signIn} from '../fixtures/sign-in';
import {RunningApp, startApp} from '../fixtures/test-app';
import {forSuite} from '../fixtures/for-suite';

/** The contract hook's check, for what comes through fetch rather than supertest. */
const contract: Middleware = {
  async onResponse({request, response}) {
    const text = await response.clone().text();
    const json = /[/+]json/.test(response.headers.get('content-type') ?? '');
    const found = disagreement(request.method, request.url, {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      text,
      body: json && text ? JSON.parse(text) : undefined,
    });
    if (found) throw new Error(`Contract: ${found}`);
    return response;
  },
};

/** Whether A and B are the same type: each assignable to the other (a union with `undefined` is not `string`). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Schemas = components['schemas'];
/** A type-level assertion: compiles only when its argument is `true`; does nothing at run time. */
function compilerAccepts<Holds extends true>(..._none: Holds[]): void {}
const PAGINATION = 'application/jupyterhub-pagination+json';

/** The resources as answered. Checked by the compiler: an `_id` typed `string | undefined` fails the build. */
const RESOURCE_IDS_ARE_STRINGS: {[Name in 'Dataset' | 'TrashedDataset' | 'Module' | 'TrashedModule' | 'Group' | 'Secret' | 'SecretWithValue' | 'Server' | 'Template']: Same<Schemas[Name]['_id'], string>} = {
  Dataset: true,
  TrashedDataset: true,
  Module: true,
  TrashedModule: true,
  Group: true,
  Secret: true,
  SecretWithValue: true,
  Server: true,
  Template: true,
};

/**
 * A client as integrators make one: types generated from openapi.json by
 * openapi-typescript during the build (test/generated, not committed),
 * calls through openapi-fetch, compiled with the project's strict
 * TypeScript, so a spec change that breaks this journey fails the build.
 */
describe('A client generated from openapi.json (openapi-typescript + openapi-fetch)', () => {
  let api: RunningApp;

  forSuite(() => startApp(), started => (api = started));

  it('types the `_id` of every resource schema as a string (the compiler checks each; here, that none is left out)', () => {
    const spec = JSON.parse(readFileSync(path.resolve(__dirname, '../../../openapi.json'), 'utf8')) as {
      components: {schemas: Record<string, {properties?: object}>};
    };
    const withIds = Object.entries(spec.components.schemas).filter(([, schema]) => schema.properties && '_id' in schema.properties);
    expect(Object.keys(RESOURCE_IDS_ARE_STRINGS).sort()).to.deepEqual(withIds.map(([name]) => name).sort());
  });

  it('has one type for the access list, which every access, share and revoke operation answers', () => {
    const generated = readFileSync(path.resolve(__dirname, '../../../test/generated/notebooks-hub-api.d.ts'), 'utf8');
    expect(generated.match(/^\s*entity: string;$/gm)).to.have.length(1);
    expect(generated.match(/200: components\["responses"\]\["AccessList"\];/g)).to.have.length(15);
  });

  it('types a list as what the client asks for: the plain array as application/json, JupyterHub\'s envelope as its media type', async () => {
    const tokens = await signIn(api.url, 'carol@example.org');
    const headers = {Authorization: `Bearer ${tokens.access_token}`};
    const plain = createClient<paths, 'application/json'>({baseUrl: api.url, headers});
    const pages = createClient<paths, typeof PAGINATION>({baseUrl: api.url, headers: {...headers, Accept: PAGINATION}});
    plain.use(contract);
    pages.use(contract);
    for (const name of ['First', 'Second']) await plain.POST('/datasets', {body: {name}});

    const listed = await plain.GET('/datasets');
    const page = await pages.GET('/datasets', {params: {query: {limit: 1}}});
    // Checked by the compiler: each client's data is the one type it asked for, not the union of both.
    compilerAccepts<Same<NonNullable<typeof listed.data>, Array<Schemas['Dataset']>>>();
    compilerAccepts<Same<NonNullable<typeof page.data>, Schemas['DatasetPage']>>();

    expect(listed.response.headers.get('content-type')).to.match(/^application\/json/);
    expect(listed.data!.map(dataset => dataset.name)).to.deepEqual(['First', 'Second']);
    expect(page.response.headers.get('content-type')).to.match(/^application\/jupyterhub-pagination\+json/);
    const {items, _pagination: pagination} = page.data!;
    expect(items.map(dataset => dataset.name)).to.deepEqual(['First']);
    const total: number = pagination.total;
    expect({total, next: pagination.next?.offset}).to.deepEqual({total: 2, next: 1});
  });

  it('reads a server\'s progress through the generated client as server-sent events, each a ServerProgressEvent', async () => {
    const tokens = await signIn(api.url, 'dave@partner.org');
    const dave = createClient<paths>({baseUrl: api.url, headers: {Authorization: `Bearer ${tokens.access_token}`}});
    dave.use(contract);
    const server = await dave.POST('/servers', {
      params: {query: {start: false}},
      body: {name: 'Streamed', description: 'Never started', applicationType: 'JupyterLab', hardware: 'small', type: 'custom', public: false},
    });
    // Checked by the compiler: the answer is declared as text of server-sent events, not as JSON.
    compilerAccepts<Same<paths['/servers/{id}/progress']['get']['responses'][200]['content']['text/event-stream'], string>>();

    // A server that is not starting answers its state from its record at once, and the stream ends.
    const progress = await dave.GET('/servers/{id}/progress', {params: {path: {id: server.data!._id}}, parseAs: 'stream'});
    expect(progress.response.headers.get('content-type')).to.equal('text/event-stream');
    const events: Array<Schemas['ServerProgressEvent']> = [];
    await readEvents(Readable.fromWeb(progress.data! as WebReadableStream), data => {
      events.push(data as Schemas['ServerProgressEvent']);
    });
    expect(events).to.deepEqual([{progress: 100, failed: true, message: 'The server is stopped'}]);
  });

  it('signs in through the embedded provider and drives the main journey, errors typed', async () => {
    const anonymous = createClient<paths>({baseUrl: api.url});
    anonymous.use(contract);
    const version = await anonymous.GET('/version');
    expect(version.data?.name).to.be.a.String();

    const tokens = await signIn(api.url, 'bob@example.org');
    const bob = createClient<paths>({baseUrl: api.url, headers: {Authorization: `Bearer ${tokens.access_token}`}});
    bob.use(contract);
    const me = await bob.GET('/whoami');
    expect(me.data).to.containDeep({email: 'bob@example.org'});

    const dataset = await bob.POST('/datasets', {body: {name: 'Typed', description: 'From the generated client'}});
    expect(dataset.data?.name).to.equal('Typed');
    const datasetId = dataset.data!._id;
    const access = await bob.POST('/datasets/{id}/share', {params: {path: {id: datasetId}}, body: {relation: 'read', userArray: ['carol@example.org']}});
    expect(access.data?.map(entry => entry.entity)).to.deepEqual(['bob@example.org', 'carol@example.org']);

    const module = await bob.POST('/modules', {
      body: {name: 'typed-tool', version: '1.0', luaModuleFile: [{id: 'setenv', arguments: ['TYPED_TOOL', '1']}]},
    });
    expect(module.data?.owner).to.equal('bob@example.org');

    const secret = await bob.POST('/secrets', {body: {secretName: 'typed', type: 'env_var', value: {TOKEN: 'typed-value'}}});
    const read = await bob.GET('/secret/{id}', {params: {path: {id: secret.data!._id}}});
    expect(read.data?.value).to.deepEqual({TOKEN: 'typed-value'});
    expect(read.response.headers.get('cache-control')).to.equal('no-store');

    const template = await bob.POST('/template', {
      body: {
        name: 'Typed template',
        description: 'Every reference typed',
        applicationType: 'JupyterLab',
        hardware: 'small',
        type: 'custom',
        public: false,
        datasets: [datasetId],
        modules: [module.data!._id],
        secrets: [secret.data!._id],
      },
    });
    const fetched = await bob.GET('/templates/{id}', {params: {path: {id: template.data!._id}}});
    expect(fetched.data?.datasets).to.deepEqual([datasetId]);

    const written = await bob.POST('/volume/file', {body: {type: 'file', name: 'typed.txt', content: 'hello'}});
    expect(written.data?.name).to.equal('typed.txt');
    const file = await bob.GET('/volume/file', {params: {query: {path: 'typed.txt'}}});
    expect(file.data?.content).to.equal('hello');

    const missing = await bob.GET('/datasets/{id}', {params: {path: {id: 'no-such-dataset'}}});
    expect(missing.response.status).to.equal(404);
    expect(missing.error?.error.code).to.equal('not_found');
    const refused = await bob.POST('/datasets', {body: {name: ''}});
    expect(refused.error?.error.code).to.equal('validation_failed');
  });
});
