/**
 * The variables an env_var secret may set. Everyone has a shell in their own
 * server, so a secret shared with them must not decide what runs there or
 * how: the variables the loader, the shell, the interpreters, the module
 * system and Jupyter or the hub read are refused, by exact name or by prefix.
 * The launch plan's contract (hub/notebooks_hub_spawner/launch_plan.schema.json,
 * `definitions.envName`) holds the same lists; a unit test keeps them equal.
 */

export const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
export const ENV_NAME_MAX_LENGTH = 128;

interface Family {
  /** What its variables are, as in "BASH_ENV is one of the shell or session variables". */
  kind: string;
  names: readonly string[];
  prefixes: readonly string[];
}

const FAMILIES: readonly Family[] = [
  {
    kind: 'shell or session',
    names: [
      'BASH_ENV', 'ENV', 'BASHOPTS', 'SHELLOPTS', 'PS4', 'PROMPT_COMMAND', 'IFS', 'CDPATH', 'GLOBIGNORE', 'INPUTRC',
      'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'PWD', 'OLDPWD', 'TMPDIR', 'MAIL', 'HOSTNAME',
      'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CONFIG_DIRS', 'XDG_DATA_DIRS',
    ],
    prefixes: ['BASH_FUNC_'],
  },
  {
    kind: 'interpreter',
    names: [
      'NODE_OPTIONS', 'NODE_PATH', 'PERL5LIB', 'PERL5OPT', 'PERLLIB', 'PERLIO', 'RUBYOPT', 'RUBYLIB',
      'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'CLASSPATH',
      'R_HOME', 'R_PROFILE', 'R_PROFILE_USER', 'R_ENVIRON', 'R_ENVIRON_USER', 'R_LIBS', 'R_LIBS_USER', 'R_LIBS_SITE',
    ],
    prefixes: ['PYTHON'],
  },
  {
    kind: 'module system',
    names: ['LUA_PATH', 'LUA_CPATH', 'LUA_INIT', 'MODULEPATH', 'MODULESHOME'],
    prefixes: ['LMOD_', 'LUA_INIT_'],
  },
  {
    kind: 'loader or C library',
    names: ['GCONV_PATH', 'GETCONF_DIR', 'HOSTALIASES', 'LOCALDOMAIN', 'RES_OPTIONS', 'NLSPATH', 'GLIBC_TUNABLES', 'TZDIR', 'LOCPATH'],
    prefixes: ['LD_', 'DYLD_', 'MALLOC_'],
  },
  {
    kind: 'Jupyter or hub',
    names: ['MEM_LIMIT', 'MEM_GUARANTEE', 'CPU_LIMIT', 'CPU_GUARANTEE', 'IPYTHONDIR'],
    prefixes: ['JUPYTERHUB_', 'JUPYTER_', 'JPY_', 'NBHUB_'],
  },
];

/** Refused exactly as written: environment variables are case-sensitive. */
export const FORBIDDEN_ENV_NAMES: readonly string[] = FAMILIES.flatMap(family => family.names);
/** Every variable starting with one of these is refused. */
export const FORBIDDEN_ENV_PREFIXES: readonly string[] = FAMILIES.flatMap(family => family.prefixes);

const ENV_NAME = new RegExp(ENV_NAME_PATTERN);
const BY_NAME = new Map(FAMILIES.flatMap(family => family.names.map(name => [name, family.kind] as const)));

/** Why a secret may not set the variable `name`, or undefined when it may. */
export function forbiddenEnvName(name: string): string | undefined {
  if (name.length > ENV_NAME_MAX_LENGTH) return `a variable name has at most ${ENV_NAME_MAX_LENGTH} characters`;
  if (!ENV_NAME.test(name)) return 'a variable name has only letters, digits and _, and does not start with a digit';
  const kind = BY_NAME.get(name);
  if (kind) return `${name} is one of the ${kind} variables, which decide what runs in a server or how`;
  for (const family of FAMILIES) {
    const prefix = family.prefixes.find(p => name.startsWith(p));
    if (prefix) return `${name} starts with ${prefix}, as ${family.kind} variables do, which decide what runs in a server or how`;
  }
  return undefined;
}
