/**
 * The rules of the launch plan's contract
 * (hub/notebooks_hub_spawner/launch_plan.schema.json) that the API applies
 * while it builds a plan: the spawner refuses a whole plan that breaks one,
 * so what would break it is left out instead. A unit test holds these equal
 * to the contract file.
 */

export const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
export const ENV_NAME_MAX_LENGTH = 128;
/** Variables that decide what runs and how in the server: no secret may set them. */
export const RESERVED_ENV_NAMES: readonly string[] = [
  'BASH_ENV',
  'ENV',
  'BASHOPTS',
  'SHELLOPTS',
  'PS4',
  'PROMPT_COMMAND',
  'IFS',
  'CDPATH',
  'GLOBIGNORE',
  'INPUTRC',
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'PWD',
  'OLDPWD',
  'TMPDIR',
  'MAIL',
  'HOSTNAME',
  'NODE_OPTIONS',
  'NODE_PATH',
  'PERL5LIB',
  'PERL5OPT',
  'PERLLIB',
  'PERLIO',
  'RUBYOPT',
  'RUBYLIB',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'CLASSPATH',
  'R_HOME',
  'R_PROFILE',
  'R_PROFILE_USER',
  'R_ENVIRON',
  'R_ENVIRON_USER',
  'R_LIBS',
  'R_LIBS_USER',
  'R_LIBS_SITE',
  'LUA_PATH',
  'LUA_CPATH',
  'LUA_INIT',
  'MODULEPATH',
  'MODULESHOME',
  'GCONV_PATH',
  'GETCONF_DIR',
  'HOSTALIASES',
  'LOCALDOMAIN',
  'RES_OPTIONS',
  'NLSPATH',
  'GLIBC_TUNABLES',
  'TZDIR',
  'LOCPATH',
  'MEM_LIMIT',
  'MEM_GUARANTEE',
  'CPU_LIMIT',
  'CPU_GUARANTEE',
  'IPYTHONDIR',
  'XDG_RUNTIME_DIR',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'XDG_CONFIG_DIRS',
  'XDG_DATA_DIRS',
];
export const RESERVED_ENV_PREFIX_PATTERN = '^(LD_|DYLD_|PYTHON|JUPYTERHUB_|JUPYTER_|JPY_|NBHUB_|LMOD_|BASH_FUNC_|MALLOC_|LUA_INIT_)';

export const SECRET_PATH_PATTERN = '^(?!.*(?:^|/)\\.\\.?(?:/|$))[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+){0,7}$';
export const SECRET_PATH_MAX_LENGTH = 255;
export const RELATIVE_PATH_PATTERN = '^(?!/)(?!.*(?:^|/)\\.\\.(?:/|$))[^\\u0000-\\u001f\\u007f]+$';
export const RELATIVE_PATH_MAX_LENGTH = 1024;
export const MODULE_OWNER_PATTERN = '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$';
export const MODULE_OWNER_MAX_LENGTH = 254;

// The 'u' flag, as JSON Schema validators compile patterns.
const ENV_NAME = new RegExp(ENV_NAME_PATTERN, 'u');
const RESERVED_PREFIX = new RegExp(RESERVED_ENV_PREFIX_PATTERN, 'u');
const RESERVED = new Set(RESERVED_ENV_NAMES);
const SECRET_PATH = new RegExp(SECRET_PATH_PATTERN, 'u');
const RELATIVE_PATH = new RegExp(RELATIVE_PATH_PATTERN, 'u');
const MODULE_OWNER = new RegExp(MODULE_OWNER_PATTERN, 'u');

export function isSettableEnvName(name: string): boolean {
  return name.length <= ENV_NAME_MAX_LENGTH && ENV_NAME.test(name) && !RESERVED.has(name) && !RESERVED_PREFIX.test(name);
}

/** A raw secret's file, relative to the person's secrets folder. */
export function isSecretPath(value: string): boolean {
  return value.length <= SECRET_PATH_MAX_LENGTH && SECRET_PATH.test(value);
}

/** A path under the home folder: relative, without `..`. */
export function isRelativePath(value: string): boolean {
  return value.length <= RELATIVE_PATH_MAX_LENGTH && RELATIVE_PATH.test(value);
}

export function isModuleOwner(value: string): boolean {
  return value.length <= MODULE_OWNER_MAX_LENGTH && MODULE_OWNER.test(value);
}

/**
 * Where a raw secret's file goes: its mount_path when that is a plain
 * relative path, else a file named after the secret, else after its id
 * (a name made only of dots, or already taken by another secret of the plan).
 */
export function secretFilePath(secret: {id: string; secretName: string; mountPath?: string}, taken: ReadonlySet<string>): string {
  const candidates = [secret.mountPath, secret.secretName.replace(/[^A-Za-z0-9._-]/g, '_')];
  for (const candidate of candidates) {
    if (candidate !== undefined && isSecretPath(candidate) && !taken.has(candidate)) return candidate;
  }
  return secret.id;
}
