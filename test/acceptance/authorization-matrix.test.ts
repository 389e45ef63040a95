import {expect} from '@loopback/testlab';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {ApiWorld, PEOPLE, Person, SharedResources, seedSharedResources, TEMPLATE_BODY, unique} from '../fixtures/api-world';
import {HubWorld} from '../fixtures/hub-world';
import {buildZip} from '../fixtures/zip-builder';
import {forSuite} from '../fixtures/for-suite';

type Caller = 'none' | Person;
const CALLERS: Caller[] = ['none', 'stranger', 'direct', 'group', 'org', 'writer', 'owner', 'admin'];
type Expected = Record<Caller, number>;
type Level = 'none' | 'read' | 'write' | 'owner';
const RANK: Level[] = ['none', 'read', 'write', 'owner'];

/** What each caller holds on the shared dataset and module (see seedSharedResources). */
const ON_SHARED: Record<Person, Level> = {
  stranger: 'none', direct: 'read', group: 'read', org: 'read', writer: 'write', owner: 'owner', admin: 'owner',
};
/** What each caller holds on the group: its members read it, only its owner changes it. */
const ON_GROUP: Record<Person, Level> = {
  stranger: 'none', direct: 'none', group: 'read', org: 'none', writer: 'none', owner: 'owner', admin: 'owner',
};

/** Unreadable: 404; readable but not enough: 403; enough: `ok`. */
function needs(required: Level, ok: number, held = ON_SHARED): Expected {
  const expected = {none: 401} as Expected;
  for (const person of Object.keys(held) as Person[]) {
    const level = held[person];
    expected[person] = level === 'none' ? 404 : RANK.indexOf(level) < RANK.indexOf(required) ? 403 : ok;
  }
  return expected;
}
const everyone = (status: number): Expected =>
  Object.fromEntries(CALLERS.map(c => [c, status])) as Expected;
const signedIn = (status: number): Expected => ({...everyone(status), none: 401});
const adminOnly = (status: number): Expected => ({...everyone(403), none: 401, admin: status});
const selfOrAdmin = (status: number): Expected => ({...everyone(403), none: 401, owner: status, admin: status});

interface Row {
  path: (r: SharedResources) => string;
  body?: (r: SharedResources) => object;
  query?: (r: SharedResources) => Record<string, string>;
  /** A multipart upload in the field `file`. */
  attach?: () => [Buffer, string];
  expected: Expected;
}

const share = () => ({relation: 'read', userArray: ['someone@else.org']});

/** One row per route of openapi.json: who gets which status. */
const MATRIX: Record<string, Row> = {
  'POST /auth/authorize': {path: () => '/auth/authorize', body: () => ({}), expected: everyone(200)},
  'POST /auth/token': {path: () => '/auth/token', body: () => ({code: 'c', state: 's'}), expected: everyone(400)},
  'POST /auth/refresh': {path: () => '/auth/refresh', body: () => ({refresh_token: 'r'}), expected: everyone(400)},
  'POST /auth/logout': {path: () => '/auth/logout', body: () => ({id_token: 'i'}), expected: everyone(200)},
  'GET /version': {path: () => '/version', expected: everyone(200)},
  'GET /health/live': {path: () => '/health/live', expected: everyone(200)},
  'GET /health/ready': {path: () => '/health/ready', expected: everyone(200)},
  // No METRICS_TOKEN here: /metrics is open, and a person's token changes nothing.
  'GET /metrics': {path: () => '/metrics', expected: everyone(200)},
  'GET /authenticated': {path: () => '/authenticated', expected: signedIn(200)},
  'GET /whoami': {path: () => '/whoami', expected: signedIn(200)},
  'GET /healthcheck': {path: () => '/healthcheck', expected: signedIn(200)},
  'GET /volume/lua': {path: () => '/volume/lua', expected: signedIn(200)},
  'GET /volume/hardware': {path: () => '/volume/hardware', expected: signedIn(200)},
  'GET /volume/applications': {path: () => '/volume/applications', expected: signedIn(200)},
  'PUT /initialize': {path: () => '/initialize', query: () => ({email: PEOPLE.owner}), expected: selfOrAdmin(200)},

  'GET /groups': {path: () => '/groups', expected: signedIn(200)},
  'POST /groups': {path: () => '/groups', body: () => ({name: unique('g-')}), expected: signedIn(200)},
  'GET /groups/{id}': {path: r => `/groups/${r.groupId}`, expected: needs('read', 200, ON_GROUP)},
  'PATCH /groups/{id}': {path: r => `/groups/${r.groupId}`, body: () => ({name: unique('renamed-')}), expected: needs('owner', 200, ON_GROUP)},
  'DELETE /groups/{id}': {path: r => `/groups/${r.groupId}`, expected: needs('owner', 204, ON_GROUP)},
  'GET /groups/{id}/members': {path: r => `/groups/${r.groupId}/members`, expected: needs('read', 200, ON_GROUP)},
  'POST /groups/{id}/members': {
    path: r => `/groups/${r.groupId}/members`,
    query: () => ({memberEmail: 'new.member@lab.org'}),
    expected: needs('owner', 200, ON_GROUP),
  },
  'DELETE /groups/{id}/members/{memberEmail}': {
    path: r => `/groups/${r.groupId}/members/${PEOPLE.group}`,
    expected: needs('owner', 200, ON_GROUP),
  },

  'GET /datasets': {path: () => '/datasets', expected: signedIn(200)},
  'POST /datasets': {path: () => '/datasets', body: () => ({name: unique('d-')}), expected: signedIn(200)},
  'GET /datasets/trash': {path: () => '/datasets/trash', expected: adminOnly(200)},
  'GET /datasets/{id}': {path: r => `/datasets/${r.datasetId}`, expected: needs('read', 200)},
  'PATCH /datasets/{id}': {path: r => `/datasets/${r.datasetId}`, body: () => ({description: 'changed'}), expected: needs('write', 200)},
  'DELETE /datasets/{id}': {path: r => `/datasets/${r.datasetId}`, expected: needs('owner', 204)},
  'GET /datasets/{id}/access': {path: r => `/datasets/${r.datasetId}/access`, expected: needs('read', 200)},
  'POST /datasets/{id}/share': {path: r => `/datasets/${r.datasetId}/share`, body: share, expected: needs('owner', 200)},
  'POST /datasets/{id}/revoke': {path: r => `/datasets/${r.datasetId}/revoke`, body: share, expected: needs('owner', 200)},
  'POST /datasets/{id}/restore': {path: r => `/datasets/${r.trashedDatasetId}/restore`, expected: adminOnly(200)},

  'GET /modules': {path: () => '/modules', expected: signedIn(200)},
  'POST /modules': {path: () => '/modules', body: () => ({name: unique('m-'), version: '2.0'}), expected: signedIn(200)},
  'GET /modules/trash': {path: () => '/modules/trash', expected: adminOnly(200)},
  'GET /modules/{id}': {path: r => `/modules/${r.moduleId}`, expected: needs('read', 200)},
  'PATCH /modules/{id}': {path: r => `/modules/${r.moduleId}`, body: () => ({description: 'changed'}), expected: needs('write', 200)},
  'DELETE /modules/{id}': {path: r => `/modules/${r.moduleId}`, expected: needs('owner', 204)},
  'GET /modules/{id}/access': {path: r => `/modules/${r.moduleId}/access`, expected: needs('read', 200)},
  'POST /modules/{id}/share': {path: r => `/modules/${r.moduleId}/share`, body: share, expected: needs('owner', 200)},
  'POST /modules/{id}/revoke': {path: r => `/modules/${r.moduleId}/revoke`, body: share, expected: needs('owner', 200)},
  'POST /modules/{id}/restore': {path: r => `/modules/${r.trashedModuleId}/restore`, expected: adminOnly(200)},

  'GET /templates': {path: () => '/templates', expected: signedIn(200)},
  'GET /templates/tags': {path: () => '/templates/tags', expected: signedIn(200)},
  'GET /templates/{id}': {path: r => `/templates/${r.templateId}`, expected: needs('read', 200)},
  'POST /template': {path: () => '/template', body: () => ({...TEMPLATE_BODY, name: unique('t-')}), expected: signedIn(200)},
  'PATCH /template': {
    path: () => '/template',
    query: r => ({templateId: r.templateId}),
    body: () => ({description: 'changed'}),
    expected: needs('write', 200),
  },
  'DELETE /template': {path: () => '/template', query: r => ({id: r.spareTemplateId}), expected: needs('owner', 204)},
  'GET /templates/{id}/access': {path: r => `/templates/${r.templateId}/access`, expected: needs('read', 200)},
  'POST /templates/{id}/share': {path: r => `/templates/${r.templateId}/share`, body: share, expected: needs('owner', 200)},
  'POST /templates/{id}/revoke': {path: r => `/templates/${r.templateId}/revoke`, body: share, expected: needs('owner', 200)},

  'GET /servers': {path: () => '/servers', expected: signedIn(200)},
  'POST /servers': {
    path: () => '/servers',
    query: () => ({start: 'false'}),
    body: () => ({...TEMPLATE_BODY, name: unique('s-')}),
    expected: signedIn(200),
  },
  'PUT /servers': {path: () => '/servers', query: r => ({templateId: r.templateId, start: 'false'}), expected: needs('read', 200)},
  'GET /servers/{id}': {path: r => `/servers/${r.serverId}`, expected: needs('read', 200)},
  'PUT /servers/{id}/start': {path: r => `/servers/${r.serverId}/start`, expected: needs('write', 200)},
  'PUT /servers/{id}/stop': {path: r => `/servers/${r.serverId}/stop`, expected: needs('write', 200)},
  'DELETE /servers/{id}': {path: r => `/servers/${r.serverId}`, expected: needs('owner', 204)},
  'GET /servers/{id}/share': {path: r => `/servers/${r.serverId}/share`, expected: needs('read', 200)},
  'GET /servers/{id}/progress': {path: r => `/servers/${r.serverId}/progress`, expected: needs('read', 200)},
  'GET /servers/{id}/access': {path: r => `/servers/${r.serverId}/access`, expected: needs('read', 200)},
  'POST /servers/{id}/share': {path: r => `/servers/${r.serverId}/share`, body: share, expected: needs('owner', 200)},
  'POST /servers/{id}/revoke': {path: r => `/servers/${r.serverId}/revoke`, body: share, expected: needs('owner', 200)},

  'POST /volume/file': {path: () => '/volume/file', body: () => ({type: 'file', name: unique('f-'), content: 'x'}), expected: signedIn(200)},
  'GET /volume/files': {path: () => '/volume/files', expected: signedIn(200)},
  'GET /volume/checkpoints': {path: () => '/volume/checkpoints', query: () => ({path: 'nothing.txt'}), expected: signedIn(200)},
  // Opens a file of the caller's own home, the only one it looks in: nothing.txt is in nobody's (nothing starts).
  'POST /volume/open': {path: () => '/volume/open', query: () => ({path: 'nothing.txt'}), expected: signedIn(404)},
  'POST /volume/checkpoints/restore': {
    path: () => '/volume/checkpoints/restore',
    query: r => ({root: r.datasetId, path: 'seeded.txt', id: r.checkpointId}),
    expected: needs('write', 200),
  },
  'GET /volume/file': {
    path: () => '/volume/file', query: r => ({root: r.datasetId, path: 'seeded.txt'}), expected: needs('read', 200),
  },
  'DELETE /volume/file': {
    path: () => '/volume/file', query: r => ({root: r.datasetId, path: 'seeded.txt'}), expected: needs('write', 200),
  },
  'PATCH /volume/file': {
    path: () => '/volume/file',
    query: r => ({root: r.datasetId, path: 'seeded.txt'}),
    body: () => ({newPath: unique('moved-')}),
    expected: needs('write', 200),
  },
  'GET /volume/trash': {path: () => '/volume/trash', query: r => ({root: r.datasetId}), expected: needs('read', 200)},
  'POST /volume/trash/restore': {
    path: () => '/volume/trash/restore', query: r => ({root: r.datasetId, id: r.trashId}), expected: needs('write', 200),
  },
  'POST /volume/checkpoints': {
    path: () => '/volume/checkpoints', query: r => ({root: r.datasetId, path: 'seeded.txt'}), expected: needs('write', 200),
  },
  'DELETE /volume/checkpoints': {
    path: () => '/volume/checkpoints',
    query: r => ({root: r.datasetId, path: 'seeded.txt', id: r.checkpointId}),
    expected: needs('write', 204),
  },
  'POST /volume/upload': {
    path: () => '/volume/upload',
    attach: () => [Buffer.from(JSON.stringify({cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5})), `${unique('u-')}.ipynb`],
    expected: signedIn(200),
  },

  // The hub's spawner alone, with SPAWNER_TOKEN (launch-tickets.test.ts): no person's token opens it.
  'POST /hub/servers/{hubUser}/{serverName}/launch': {
    path: r => `/hub/servers/${encodeURIComponent(PEOPLE.owner)}/${r.serverId}/launch`,
    body: () => ({launchTicket: 'not-a-ticket'}),
    expected: everyone(401),
  },

  'GET /secrets': {path: () => '/secrets', expected: signedIn(200)},
  'POST /secrets': {path: () => '/secrets', body: () => ({secretName: unique('s-'), type: 'raw', value: 'x'}), expected: signedIn(200)},
  'GET /secret/{id}': {path: r => `/secret/${r.secretId}`, expected: needs('read', 200)},
  'PATCH /secret/{id}': {path: r => `/secret/${r.secretId}`, body: () => ({description: 'changed'}), expected: needs('write', 200)},
  'DELETE /secret/{id}': {path: r => `/secret/${r.secretId}`, expected: needs('owner', 204)},
  'GET /secret/{id}/access': {path: r => `/secret/${r.secretId}/access`, expected: needs('read', 200)},
  'POST /secret/share/{id}': {path: r => `/secret/share/${r.secretId}`, body: share, expected: needs('owner', 200)},
  'POST /secret/{id}/revoke': {path: r => `/secret/${r.secretId}/revoke`, body: share, expected: needs('owner', 200)},
};

function routesOfOpenApi(): string[] {
  const spec = JSON.parse(readFileSync(path.resolve(__dirname, '../../../openapi.json'), 'utf8'));
  return Object.entries(spec.paths as Record<string, object>).flatMap(([route, item]) =>
    Object.keys(item).map(verb => `${verb.toUpperCase()} ${route}`),
  );
}

/**
 * Field rules (one row per route and field): writers change what a resource
 * holds, never who may read or write it; only admins curate. Each body sets
 * the field to a value it does not have.
 */
const FIELD_MATRIX: Record<string, Row> = {
  'PATCH /datasets/{id} write_access': {path: r => `/datasets/${r.datasetId}`, body: () => ({write_access: true}), expected: needs('owner', 200)},
  'PATCH /modules/{id} write_access': {path: r => `/modules/${r.moduleId}`, body: () => ({write_access: true}), expected: needs('owner', 200)},
  'PATCH /modules/{id} featured': {
    path: r => `/modules/${r.moduleId}`,
    body: () => ({featured: true}),
    expected: {...needs('read', 403), admin: 200},
  },
  'PATCH /template public': {
    path: () => '/template',
    query: r => ({templateId: r.templateId}),
    body: () => ({public: true}),
    expected: needs('owner', 200),
  },
  'PATCH /template type featured': {
    path: () => '/template',
    query: r => ({templateId: r.templateId}),
    body: () => ({type: 'featured'}),
    expected: {...needs('read', 403), admin: 200},
  },
  // A featured module is readable by everyone and changed only by its owner (the admin here), whatever the grants.
  'PATCH /modules/{id} of a featured module': {
    path: r => `/modules/${r.featuredModuleId}`,
    body: () => ({description: 'changed'}),
    expected: {...signedIn(403), admin: 200},
  },
};

/**
 * A module's binaries folder as a files root (`module:{id}`): its writers
 * put programs there, its readers only list and read them, and a featured
 * module's only its owner and admins change.
 */
const MODULE_ROOT_MATRIX: Record<string, Row> = {
  "POST /volume/file into a module's binaries": {
    path: () => '/volume/file',
    body: r => ({type: 'file', root: `module:${r.moduleId}`, name: unique('p-'), content: '#!/bin/sh\n', executable: true}),
    expected: needs('write', 200),
  },
  "POST /volume/upload into a module's binaries": {
    path: () => '/volume/upload',
    query: r => ({root: `module:${r.moduleId}`}),
    attach: () => [buildZip([{name: unique('p-'), data: '#!/bin/sh\n', mode: 0o100755}]), 'programs.zip'],
    expected: needs('write', 200),
  },
  "GET /volume/files of a module's binaries": {path: () => '/volume/files', query: r => ({root: `module:${r.moduleId}`}), expected: needs('read', 200)},
  "POST /volume/file into a featured module's binaries": {
    path: () => '/volume/file',
    body: r => ({type: 'file', root: `module:${r.featuredModuleId}`, name: unique('p-'), content: '#!/bin/sh\n', executable: true}),
    expected: {...signedIn(403), admin: 200},
  },
};

describe('Authorization matrix: every route of openapi.json, every kind of caller', () => {
  let world: ApiWorld;

  forSuite(() => HubWorld.start(), started => ({world} = started));

  it('has a row for every route of openapi.json, and no row for a route that is not there', () => {
    const routes = routesOfOpenApi();
    expect(routes.filter(route => !(route in MATRIX))).to.deepEqual([]);
    expect(Object.keys(MATRIX).filter(route => !routes.includes(route))).to.deepEqual([]);
  });

  for (const [route, row] of [...Object.entries(MATRIX), ...Object.entries(FIELD_MATRIX), ...Object.entries(MODULE_ROOT_MATRIX)]) {
    const [verb] = route.split(' ');
    describe(route, () => {
      let resources: SharedResources | undefined;
      for (const caller of CALLERS) {
        it(`answers ${row.expected[caller]} to ${caller === 'none' ? 'a request without a token' : `the ${caller} caller`}`, async () => {
          // Resources are seeded anew after any request that may have changed
          // them, so one caller's change cannot decide another's answer.
          resources ??= await seedSharedResources(world);
          const agent = caller === 'none' ? world.client : await world.as(caller);
          const method = verb.toLowerCase() as 'get' | 'post' | 'patch' | 'put' | 'delete';
          let request = agent[method](row.path(resources));
          if (row.query) request = request.query(row.query(resources));
          if (row.body) request = request.send(row.body(resources));
          if (row.attach) request = request.attach('file', ...row.attach());
          const res = await request;
          if (verb !== 'GET' && res.status < 300) resources = undefined;
          expect(res.status).to.equal(row.expected[caller], `${route} as ${caller}: ${JSON.stringify(res.body)}`);
          if (res.status >= 400) expect(res.body.error.statusCode).to.equal(res.status);
        });
      }
    });
  }
});
