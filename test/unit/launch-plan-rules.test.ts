import {expect} from '@loopback/testlab';
import {
  ENV_NAME_MAX_LENGTH,
  ENV_NAME_PATTERN,
  FORBIDDEN_ENV_NAMES,
  FORBIDDEN_ENV_PREFIXES,
  forbiddenEnvName,
} from '../../src/utils/env-name.util';
import {RELATIVE_PATH_MAX_LENGTH, RELATIVE_PATH_PATTERN, SECRET_PATH_MAX_LENGTH, SECRET_PATH_PATTERN} from '../../src/validation';
import {readRepoText} from '../fixtures/repo-files';

type Definition = {pattern?: string; maxLength?: number; not?: {anyOf: Array<{enum?: string[]; pattern?: string}>}};

/** The rules the API refuses requests by are the launch plan's, which the hub's spawner parses with: one list, two copies. */
describe('The launch plan contract\'s input rules, as the API holds them', () => {
  const definitions = (JSON.parse(readRepoText('hub/notebooks_hub_spawner/launch_plan.schema.json')) as {definitions: Record<string, Definition>})
    .definitions;

  it('refuses exactly the environment variable names and prefixes the contract refuses', () => {
    const envName = definitions.envName;
    expect(ENV_NAME_PATTERN).to.equal(envName.pattern);
    expect(ENV_NAME_MAX_LENGTH).to.equal(envName.maxLength);
    const names = envName.not!.anyOf.find(clause => clause.enum)!.enum!;
    expect([...FORBIDDEN_ENV_NAMES].sort()).to.deepEqual([...names].sort());
    const prefixPattern = envName.not!.anyOf.find(clause => clause.pattern)!.pattern!;
    const prefixes = /^\^\(([^()]*)\)$/.exec(prefixPattern)?.[1].split('|');
    expect(prefixes).to.not.be.undefined();
    expect([...FORBIDDEN_ENV_PREFIXES].sort()).to.deepEqual([...prefixes!].sort());
  });

  it('has the contract\'s secret path and relative path rules', () => {
    expect(SECRET_PATH_PATTERN).to.equal(definitions.secretPath.pattern);
    expect(SECRET_PATH_MAX_LENGTH).to.equal(definitions.secretPath.maxLength);
    expect(RELATIVE_PATH_PATTERN).to.equal(definitions.relativePath.pattern);
    expect(RELATIVE_PATH_MAX_LENGTH).to.equal(definitions.relativePath.maxLength);
  });

  it('says why a name is refused, and lets ordinary names through', () => {
    for (const name of ['AWS_ACCESS_KEY_ID', 'DB_PASSWORD', '_private', 'a1', 'ld_preload', 'PYTHO', 'LUA_INITIAL']) {
      expect({name, reason: forbiddenEnvName(name)}).to.deepEqual({name, reason: undefined});
    }
    expect(forbiddenEnvName('BASH_ENV')).to.match(/BASH_ENV is one of the shell or session variables/);
    expect(forbiddenEnvName('NODE_OPTIONS')).to.match(/NODE_OPTIONS is one of the interpreter variables/);
    expect(forbiddenEnvName('LD_PRELOAD')).to.match(/LD_PRELOAD starts with LD_, as loader or C library variables do/);
    expect(forbiddenEnvName('PYTHONSTARTUP')).to.match(/starts with PYTHON/);
    expect(forbiddenEnvName('JUPYTERHUB_API_TOKEN')).to.match(/starts with JUPYTERHUB_/);
    expect(forbiddenEnvName('LUA_INIT_5_4')).to.match(/starts with LUA_INIT_/);
    expect(forbiddenEnvName('BAD-NAME')).to.match(/only letters, digits and _/);
    expect(forbiddenEnvName('1ABC')).to.match(/does not start with a digit/);
    expect(forbiddenEnvName('A'.repeat(129))).to.match(/at most 128 characters/);
    expect(forbiddenEnvName('A'.repeat(128))).to.be.undefined();
  });

  it('agrees with the contract\'s own patterns on every name it refuses or takes', () => {
    const envName = definitions.envName;
    const shape = new RegExp(envName.pattern!);
    const prefixed = new RegExp(envName.not!.anyOf.find(clause => clause.pattern)!.pattern!);
    const contractRefuses = (name: string) => !shape.test(name) || name.length > envName.maxLength! || FORBIDDEN_ENV_NAMES.includes(name) || prefixed.test(name);
    for (const name of [...FORBIDDEN_ENV_NAMES, ...FORBIDDEN_ENV_PREFIXES.map(p => `${p}X`), 'OK_NAME', 'MY_PATH', 'ENVIRONMENT', 'x-y']) {
      expect({name, refused: forbiddenEnvName(name) !== undefined}).to.deepEqual({name, refused: contractRefuses(name)});
    }
  });
});
