import {TEMPLATE_EXAMPLE} from './json-spec.helpers';

/**
 * The resources as the API answers them, for the examples of the answers
 * that carry them (the explorer shows them; generated clients document
 * them). The OpenAPI tests check every example against its schema.
 */

const OWNER = 'bob@example.org';
const CREATED_AT = '2026-03-02T09:30:00.000Z';

export const DATASET_ANSWER = {
  _id: '0b6f3c1e-5a8d-4f2b-9c7e-1d2a3b4c5d6e',
  name: 'Microscopy 2026',
  description: 'Raw images of the spring campaign',
  owner: OWNER,
  write_access: false,
};

export const MODULE_ANSWER = {
  _id: '4e9a7b2c-1f3d-4a5e-8b6c-7d8e9f0a1b2c',
  name: 'lab-tools',
  version: '1.0',
  description: 'The lab\'s scripts on PATH',
  owner: OWNER,
  write_access: false,
  featured: false,
  luaModuleFile: [{id: 'setenv', arguments: ['LAB_TOOLS_THREADS', '4']}],
};

export const SECRET_ANSWER = {
  _id: '7c2d9e4f-3a1b-4c5d-8e6f-9a0b1c2d3e4f',
  secretName: 'lab-database',
  type: 'env_var',
  description: 'Login of the lab database',
  owner: OWNER,
  engine: 'vault',
  secret_path: 'secret/notebooks-hub/7c2d9e4f-3a1b-4c5d-8e6f-9a0b1c2d3e4f',
  createdAt: CREATED_AT,
};

export const GROUP_ANSWER = {
  _id: '2a4b6c8d-0e1f-4a3b-9c5d-7e9f1a3b5c7d',
  name: 'Imaging team',
  owner: OWNER,
  members: [OWNER, 'carol@example.org'],
  createdAt: CREATED_AT,
};

export const TEMPLATE_ANSWER = {
  _id: '9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f',
  ...TEMPLATE_EXAMPLE,
  datasets: [DATASET_ANSWER._id],
  modules: [MODULE_ANSWER._id],
  secrets: [],
  creator: OWNER,
  timestamp: CREATED_AT,
  serverName: 'python-analysis-526bb2',
};

/** A server before it runs: what its creation, a start and a stop answer. */
const ASKED_SERVER = {
  _id: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a',
  name: TEMPLATE_ANSWER.serverName,
  owner: OWNER,
  hubUser: OWNER,
  templateId: TEMPLATE_ANSWER._id,
  createdAt: CREATED_AT,
  statusChangedAt: CREATED_AT,
};

export const STARTING_SERVER_ANSWER = {...ASKED_SERVER, status: 'starting', limitsEnforced: null};

export const STOPPED_SERVER_ANSWER = {...ASKED_SERVER, status: 'stopped'};

export const SERVER_ANSWER = {
  ...ASKED_SERVER,
  status: 'running',
  url: 'https://hub.example.org/user/bob@example.org/python-analysis-526bb2/',
  limitsEnforced: true,
  statusChangedAt: '2026-03-02T09:30:12.000Z',
};

/** A file of a home and the server it opens in: a stopped one of its person, started again. */
export const OPENED_FILE_ANSWER = {
  path: 'eln/analysis.ipynb',
  server: STARTING_SERVER_ANSWER,
  url: `${SERVER_ANSWER.url}lab/tree/eln/analysis.ipynb`,
};

/** Who holds access to a resource: its owner first. */
export const ACCESS_LIST_ANSWER = [
  {entity: OWNER, access: 'owner'},
  {entity: 'carol@example.org', access: 'read'},
];

/** A resource as the admins' trash lists it. */
export function trashed<T extends object>(answer: T): T & {deletedAt: string} {
  return {...answer, deletedAt: '2026-03-09T16:00:00.000Z'};
}
