import {isIP} from 'node:net';
import path from 'node:path';
import {APPLICATION_MAX_LENGTH, APPLICATION_PATTERN, IDLE_MINUTES_LIMIT, LIFETIME_HOURS_LIMIT, normaliseEmail} from './validation';

/**
 * Every setting of the service, read from the environment (and an optional
 * `.env` file loaded by `src/index.ts`). `.env.example` lists each one with
 * its default and meaning; keep both in step.
 */
export interface AppConfig {
  production: boolean;
  host: string;
  port: number;
  publicUrl: string;
  logLevel: LogLevel;
  /** Bearer token GET /metrics asks for; undefined: /metrics is open. */
  metricsToken?: string;
  dataDir: string;
  mongoUrl?: string;
  corsOrigins: string[];
  maxBodySize: string;
  /** Seconds a stopping API gives in-flight requests before it cuts them. */
  shutdownGraceSeconds: number;
  hubUsernameRule: HubUsernameRule;
  /** Folder holding one folder per dataset, named by the dataset's id. */
  datasetsRoot: string;
  /** Folder holding `binaries/{id}` and `modulefiles/{owner}/{name}/{version}.lua`. */
  modulesRoot: string;
  /** Days a deleted dataset or module stays in its root's `.trash` before it is purged. */
  trashRetentionDays: number;
  trashPurgeIntervalMinutes: number;
  lists: {defaultLimit: number; maxLimit: number};
  /** Folder with one home folder per hub user (the spawner's home_dir_template). */
  homesRoot: string;
  /** JSON file listing the hardware options servers may ask for. */
  hardwareFile: string;
  hub: HubConfig;
  secrets: SecretsConfig;
  files: FilesConfig;
  oidc: OidcConfig;
  authState: {secret?: string; ttlSeconds: number};
  /** Requests per minute and key (0: no limit), each replica counting its own. */
  rateLimits: {authPerClientAddress: number; writesPerCaller: number};
  /** Express's `trust proxy`: which hops' X-Forwarded-For is believed for the client address. */
  trustProxy: boolean | number | string[];
}

export interface FilesConfig {
  /**
   * Path in a server that opens a file, `{path}` replaced, by application
   * (lower-cased applicationType); `*` for every application not named.
   */
  linkPaths: Record<string, string>;
  /** Older versions kept of each overwritten file. */
  checkpointsKept: number;
  uploadMaxBytes: number;
  /** Largest file the API reads back: content answers, checkpoint copies and restores. */
  readMaxBytes: number;
  /** Modes of what the API creates in homes and datasets (umask does not apply). */
  modes: {home: number; folder: number; file: number};
  /** `hub-user`: files written into a home belong to the home's owner (needs root). */
  homesOwner: 'api' | 'hub-user';
  /** Origins of ELN pages (openBIS) allowed to call the ELN form of POST /volume/file. */
  elnOrigins: string[];
  zipMaxEntries: number;
  zipMaxBytes: number;
  openbis: {
    /** The openBIS server, e.g. https://openbis.example.org; undefined: the ELN form answers 503. */
    url?: string;
    timeoutMs: number;
    /** Appended to openBIS user names to make their email (then the hub name by HUB_USERNAME_RULE). */
    userDomain?: string;
  };
}

export interface SecretsConfig {
  /** `vault` when VAULT_ADDR is set, else the encrypted local store. */
  engine: 'vault' | 'local';
  /** Largest secret value in bytes (UTF-8). */
  maxBytes: number;
  /** Local store: base64 of a 32-byte AES-256-GCM key; undefined: generated into DATA_DIR. */
  localKey?: string;
  vault: {
    address?: string;
    token?: string;
    roleId?: string;
    secretId?: string;
    mount: string;
    pathPrefix: string;
    skipTlsVerify: boolean;
    timeoutMs: number;
  };
}

export interface HubConfig {
  /** The hub's REST API, e.g. http://hub:8081/hub/api; undefined: no hub, server routes answer 503. */
  apiUrl?: string;
  apiToken?: string;
  /** The hub as browsers reach it, for server and notebook links. */
  publicUrl: string;
  timeoutMs: number;
  reconcileIntervalSeconds: number;
  /** Most hub requests one reconciliation may make (pages of GET /users). */
  reconcileMaxRequests: number;
  /** The hub's spawner redeems launch tickets with it; undefined: no launch plan is given out. */
  spawnerToken?: string;
  /** The applicationTypes the hub offers, as configured: templates naming another are refused. */
  applications: string[];
  /** Seconds a launch ticket stays redeemable after the API asked the hub to start its server. */
  launchTicketTtlSeconds: number;
  /** The template a person's file opens in when none of their servers runs; undefined: the last one they launched. */
  defaultTemplateId?: string;
  culling: CullingConfig;
}

/**
 * When the API stops running servers by itself. Minutes and hours may be
 * fractions (0.05 minutes is 3 seconds): tests run in seconds.
 */
export interface CullingConfig {
  /** Idle minutes after which a server of a template that sets none is stopped; 0: never for idleness. */
  idleTimeoutMinutes: number;
  /** The longest idle timeout a template may set. */
  idleTimeoutMaxMinutes: number;
  /** Hours after its start a server of a template that sets none is stopped, and the most one may set; 0: no limit. */
  maxLifetimeHours: number;
}

export interface OidcConfig {
  issuer: string;
  /** True when no issuer is configured: the development provider runs inside the API. */
  embedded: boolean;
  clientId: string;
  clientSecret?: string;
  audience: string;
  scopes: string;
  redirectUris: string[];
  postLogoutRedirectUri: string;
  emailClaim: string;
  orgClaim?: string;
  adminClaim: string;
  adminValues: string[];
  adminEmails: string[];
  allowHttp: boolean;
  /** Refuse tokens that do not say `email_verified: true`, on every request, sign-in and refresh. */
  requireVerifiedEmail: boolean;
  clockToleranceSeconds: number;
  jwksCooldownSeconds: number;
  jwksCacheMaxAgeSeconds: number;
  httpTimeoutMs: number;
}

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const HUB_USERNAME_RULES = ['email', 'localpart'] as const;
export type HubUsernameRule = (typeof HUB_USERNAME_RULES)[number];

/** The path under the API's own URL where the development provider lives. */
export const EMBEDDED_OIDC_PATH = '/oidc';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${
        problems.length === 1 ? '' : 's'
      }):\n${problems.map(p => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads settings one by one and remembers every problem, so start-up reports them all at once. */
class SettingsReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  string(name: string, fallback: string): string {
    return this.optional(name) ?? fallback;
  }

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) {
      this.problems.push(
        `${name} must be a whole number from ${min} to ${max}, got "${raw}"`,
      );
      return fallback;
    }
    return value;
  }

  /** A number that may have a fraction (0.05), from `min` to `max`. */
  decimal(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw) || value < min || value > max) {
      this.problems.push(`${name} must be a number from ${min} to ${max} (fractions allowed), got "${raw}"`);
      return fallback;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const raw = this.optional(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    this.problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(
        `${name} must be one of ${allowed.join(', ')}, got "${raw}"`,
      );
      return fallback;
    }
    return raw as T;
  }

  /** An http(s) URL; base URLs lose trailing slashes, redirect targets stay exact. */
  url(name: string, fallback?: string, exact = false): string | undefined {
    const raw = this.optional(name) ?? fallback;
    if (raw === undefined) return undefined;
    if (!isHttpUrl(raw)) {
      this.problems.push(`${name} must be an http(s) URL, got "${raw}"`);
      return fallback;
    }
    return exact ? raw : raw.replace(/\/+$/, '');
  }

  /** A permission mode in octal, such as 0750. */
  mode(name: string, fallback: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!/^0?[0-7]{3}$/.test(raw)) {
      this.problems.push(`${name} must be an octal mode such as 0750, got "${raw}"`);
      return fallback;
    }
    return parseInt(raw, 8);
  }

  /** Express's `trust proxy`: true/false, a hop count, or addresses, CIDR ranges and loopback/linklocal/uniquelocal. */
  trustProxy(name: string, fallback: string[]): boolean | number | string[] {
    const raw = this.optional(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', 'false'].includes(raw)) return raw === 'true';
    if (/^\d+$/.test(raw)) return Number(raw);
    const entries = this.list(name, fallback);
    for (const entry of entries) {
      const [address, bits, ...rest] = entry.split('/');
      const known = ['loopback', 'linklocal', 'uniquelocal'].includes(entry);
      if (!known && (isIP(address) === 0 || rest.length > 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits)))) {
        this.problems.push(`${name} must be true, false, a hop count, or addresses and CIDR ranges (or loopback, linklocal, uniquelocal), got "${entry}"`);
      }
    }
    return entries;
  }

  /** `Application=path` entries, or one bare path for every application; each path holds `{path}`. */
  linkPaths(name: string, fallback: string[]): Record<string, string> {
    const paths: Record<string, string> = {};
    for (const entry of this.list(name, fallback)) {
      const named = /^([^/={}]+)=(.*)$/.exec(entry);
      const [application, linkPath] = named ? [named[1].trim(), named[2].trim()] : ['*', entry];
      if (!linkPath.includes('{path}')) this.problems.push(`${name} must be a path holding {path}, or Application=path entries, got "${entry}"`);
      paths[application.toLowerCase()] = linkPath.replace(/^\/+/, '');
    }
    return paths;
  }

  list(name: string, fallback: string[]): string[] {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    return raw
      .split(',')
      .map(item => item.trim())
      .filter(item => item !== '');
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

const BODY_SIZE = /^\d+(b|kb|mb|gb)?$/i;
const APPLICATION = new RegExp(APPLICATION_PATTERN);

export function loadConfig(env: Env = process.env): AppConfig {
  const read = new SettingsReader(env);
  const production = read.string('NODE_ENV', 'development') === 'production';
  const port = read.integer('PORT', 3000, 0, 65535);
  const publicUrl =
    read.url('PUBLIC_URL', `http://localhost:${port}`) ??
    `http://localhost:${port}`;

  const maxBodySize = read.string('MAX_BODY_SIZE', '10mb');
  if (!BODY_SIZE.test(maxBodySize)) {
    read.problems.push(
      `MAX_BODY_SIZE must be a size such as 512kb or 10mb, got "${maxBodySize}"`,
    );
  }

  const clientId = read.string('OIDC_CLIENT_ID', 'notebooks-hub');
  const configuredIssuer = read.url('OIDC_ISSUER');
  if (configuredIssuer === undefined && production) {
    read.problems.push(
      'OIDC_ISSUER is required when NODE_ENV=production (the embedded development provider is never used in production)',
    );
  }
  const redirectUris = read.list('OIDC_REDIRECT_URIS', [`${publicUrl}/`]);
  for (const uri of redirectUris) {
    if (!isHttpUrl(uri)) {
      read.problems.push(
        `OIDC_REDIRECT_URIS must hold http(s) URLs, got "${uri}"`,
      );
    }
  }
  if (redirectUris.length === 0) {
    read.problems.push('OIDC_REDIRECT_URIS must hold at least one URL');
  }
  const adminEmails = read
    .list('ADMIN_EMAILS', [])
    .map(email => email.toLowerCase());
  for (const email of adminEmails) {
    if (normaliseEmail(email) === undefined) {
      read.problems.push(`ADMIN_EMAILS holds an invalid email "${email}"`);
    }
  }

  const stateSecret = read.optional('AUTH_STATE_SECRET');
  if (stateSecret !== undefined && stateSecret.length < 32) {
    read.problems.push(
      'AUTH_STATE_SECRET must be at least 32 characters long',
    );
  } else if (stateSecret === undefined && production) {
    read.problems.push(
      'AUTH_STATE_SECRET is required when NODE_ENV=production (every replica must sign sign-in transactions with the same secret)',
    );
  }

  const spawnerToken = read.optional('SPAWNER_TOKEN');
  if (spawnerToken !== undefined && spawnerToken.length < 32) {
    read.problems.push('SPAWNER_TOKEN must be at least 32 characters long (it redeems launch tickets, whose plans carry secret values)');
  }

  const metricsToken = read.optional('METRICS_TOKEN');
  if (metricsToken !== undefined && metricsToken.length < 16) {
    read.problems.push('METRICS_TOKEN must be at least 16 characters long');
  }

  const mongoUrl = read.optional('MONGO_URL');
  if (mongoUrl !== undefined && !/^mongodb(\+srv)?:\/\//.test(mongoUrl)) {
    read.problems.push(
      'MONGO_URL must start with mongodb:// or mongodb+srv://',
    );
  }

  const dataDir = path.resolve(read.string('DATA_DIR', 'data'));
  const hubApiUrl = read.url('HUB_API_URL');
  const vaultAddress = read.url('VAULT_ADDR');
  if (vaultAddress && !read.optional('VAULT_TOKEN') && !read.optional('VAULT_ROLE_ID')) {
    read.problems.push('VAULT_ADDR needs VAULT_TOKEN, or VAULT_ROLE_ID and VAULT_SECRET_ID for AppRole');
  }
  if (read.optional('VAULT_ROLE_ID') && !read.optional('VAULT_SECRET_ID')) {
    read.problems.push('VAULT_ROLE_ID needs VAULT_SECRET_ID');
  }
  const secretsKey = read.optional('SECRETS_KEY');
  if (secretsKey !== undefined && Buffer.from(secretsKey, 'base64').length !== 32) {
    read.problems.push('SECRETS_KEY must be 32 bytes in base64 (openssl rand -base64 32)');
  }
  if (hubApiUrl !== undefined && read.optional('HUB_API_TOKEN') === undefined) {
    read.problems.push('HUB_API_TOKEN is required when HUB_API_URL is set (the token of the API\'s hub service)');
  }
  const applications = read.list('HUB_APPLICATIONS', ['JupyterLab', 'Notebook']);
  if (applications.length === 0) read.problems.push('HUB_APPLICATIONS must name at least one application');
  for (const application of applications) {
    if (application.length > APPLICATION_MAX_LENGTH || !APPLICATION.test(application)) {
      read.problems.push(`HUB_APPLICATIONS holds "${application}", which is no application name (up to ${APPLICATION_MAX_LENGTH} letters, digits, spaces and ._+-)`);
    }
  }
  const distinct = new Set(applications.map(application => application.toLowerCase()));
  if (distinct.size < applications.length) read.problems.push('HUB_APPLICATIONS names an application twice (names are matched whatever their case)');
  const maxLimit = read.integer('LIST_MAX_LIMIT', 1000, 1, 100000);
  const idleTimeoutMaxMinutes = read.decimal('IDLE_TIMEOUT_MAX_MINUTES', 1440, 0.001, IDLE_MINUTES_LIMIT);
  const culling: CullingConfig = {
    idleTimeoutMinutes: read.decimal('IDLE_TIMEOUT_MINUTES', Math.min(60, idleTimeoutMaxMinutes), 0, IDLE_MINUTES_LIMIT),
    idleTimeoutMaxMinutes,
    maxLifetimeHours: read.decimal('MAX_LIFETIME_HOURS', 0, 0, LIFETIME_HOURS_LIMIT),
  };
  if (culling.idleTimeoutMinutes > culling.idleTimeoutMaxMinutes) {
    read.problems.push('IDLE_TIMEOUT_MINUTES must not be above IDLE_TIMEOUT_MAX_MINUTES (the default idle timeout is one templates could set)');
  }
  const config: AppConfig = {
    production,
    host: read.string('HOST', production ? '0.0.0.0' : '127.0.0.1'),
    port,
    publicUrl,
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    metricsToken,
    dataDir,
    mongoUrl,
    corsOrigins: read.list('CORS_ORIGINS', [new URL(publicUrl).origin]),
    maxBodySize,
    shutdownGraceSeconds: read.integer('SHUTDOWN_GRACE_SECONDS', 30, 1, 3600),
    hubUsernameRule: read.oneOf(
      'HUB_USERNAME_RULE',
      HUB_USERNAME_RULES,
      'email',
    ),
    datasetsRoot: path.resolve(read.string('DATASETS_ROOT', path.join(dataDir, 'datasets'))),
    modulesRoot: path.resolve(read.string('MODULES_ROOT', path.join(dataDir, 'modules'))),
    trashRetentionDays: read.integer('TRASH_RETENTION_DAYS', 30, 0, 3650),
    trashPurgeIntervalMinutes: read.integer('TRASH_PURGE_INTERVAL_MINUTES', 60, 1, 10080),
    lists: {
      defaultLimit: read.integer('LIST_DEFAULT_LIMIT', 200, 1, maxLimit),
      maxLimit,
    },
    homesRoot: path.resolve(read.string('HOMES_ROOT', path.join(dataDir, 'homes'))),
    hardwareFile: path.resolve(
      read.string('HARDWARE_FILE', path.join(__dirname, '..', '..', 'config', 'hardware.json')),
    ),
    hub: {
      apiUrl: hubApiUrl,
      apiToken: read.optional('HUB_API_TOKEN'),
      publicUrl: read.url('HUB_PUBLIC_URL', hubApiUrl ? new URL(hubApiUrl).origin : 'http://localhost:8000') ?? 'http://localhost:8000',
      timeoutMs: read.integer('HUB_TIMEOUT_MS', 10000, 100, 120000),
      reconcileIntervalSeconds: read.integer('HUB_RECONCILE_INTERVAL', 10, 1, 3600),
      reconcileMaxRequests: read.integer('HUB_RECONCILE_MAX_REQUESTS', 5, 1, 1000),
      spawnerToken,
      applications,
      launchTicketTtlSeconds: read.integer('LAUNCH_TICKET_TTL_SECONDS', 300, 1, 3600),
      defaultTemplateId: read.optional('DEFAULT_TEMPLATE_ID'),
      culling,
    },
    files: {
      linkPaths: read.linkPaths('FILE_LINK_PATH', ['JupyterLab=lab/tree/{path}', 'Notebook=notebooks/{path}']),
      checkpointsKept: read.integer('CHECKPOINTS_KEPT', 10, 0, 1000),
      uploadMaxBytes: read.integer('UPLOAD_MAX_BYTES', 100 * 1024 * 1024, 1024, 10 * 1024 * 1024 * 1024),
      readMaxBytes: read.integer('FILE_READ_MAX_BYTES', 50 * 1024 * 1024, 1024, 10 * 1024 * 1024 * 1024),
      modes: {
        home: read.mode('HOMES_MODE', 0o750),
        folder: read.mode('FOLDER_MODE', 0o750),
        file: read.mode('FILE_MODE', 0o640),
      },
      homesOwner: read.oneOf('HOMES_OWNER', ['api', 'hub-user'] as const, 'api'),
      elnOrigins: read.list('ELN_ORIGINS', []),
      zipMaxEntries: read.integer('ZIP_MAX_ENTRIES', 1000, 1, 1000000),
      zipMaxBytes: read.integer('ZIP_MAX_BYTES', 500 * 1024 * 1024, 1024, 100 * 1024 * 1024 * 1024),
      openbis: {
        url: read.url('OPENBIS_URL'),
        timeoutMs: read.integer('OPENBIS_TIMEOUT_MS', 5000, 100, 120000),
        userDomain: read.optional('OPENBIS_USER_DOMAIN'),
      },
    },
    secrets: {
      engine: vaultAddress ? 'vault' : 'local',
      maxBytes: read.integer('SECRET_MAX_BYTES', 65536, 1, 10 * 1024 * 1024),
      localKey: secretsKey,
      vault: {
        address: vaultAddress,
        token: read.optional('VAULT_TOKEN'),
        roleId: read.optional('VAULT_ROLE_ID'),
        secretId: read.optional('VAULT_SECRET_ID'),
        mount: read.string('VAULT_KV_MOUNT', 'secret').replace(/^\/+|\/+$/g, ''),
        pathPrefix: read.string('VAULT_PATH_PREFIX', 'notebooks-hub').replace(/^\/+|\/+$/g, ''),
        skipTlsVerify: read.boolean('VAULT_SKIP_TLS_VERIFY', false),
        timeoutMs: read.integer('VAULT_TIMEOUT_MS', 5000, 100, 120000),
      },
    },
    oidc: {
      issuer: configuredIssuer ?? `${publicUrl}${EMBEDDED_OIDC_PATH}`,
      embedded: configuredIssuer === undefined,
      clientId,
      clientSecret: read.optional('OIDC_CLIENT_SECRET'),
      audience: read.string('OIDC_AUDIENCE', clientId),
      scopes: read.string('OIDC_SCOPES', 'openid email profile offline_access'),
      redirectUris,
      postLogoutRedirectUri:
        read.url('OIDC_POST_LOGOUT_REDIRECT_URI', `${publicUrl}/`, true) ??
        `${publicUrl}/`,
      emailClaim: read.string('OIDC_EMAIL_CLAIM', 'email'),
      orgClaim: read.optional('OIDC_ORG_CLAIM'),
      adminClaim: read.string('OIDC_ADMIN_CLAIM', 'roles'),
      adminValues: read.list('OIDC_ADMIN_VALUES', ['admin']),
      adminEmails,
      allowHttp: read.boolean('OIDC_ALLOW_HTTP', !production),
      requireVerifiedEmail: read.boolean('OIDC_REQUIRE_VERIFIED_EMAIL', true),
      clockToleranceSeconds: read.integer('OIDC_CLOCK_TOLERANCE', 5, 0, 300),
      jwksCooldownSeconds: read.integer('OIDC_JWKS_COOLDOWN', 30, 0, 3600),
      jwksCacheMaxAgeSeconds: read.integer(
        'OIDC_JWKS_CACHE_MAX_AGE',
        600,
        1,
        86400,
      ),
      httpTimeoutMs: read.integer('OIDC_HTTP_TIMEOUT_MS', 5000, 100, 120000),
    },
    authState: {
      secret: stateSecret,
      ttlSeconds: read.integer('AUTH_STATE_TTL', 600, 30, 3600),
    },
    rateLimits: {
      authPerClientAddress: read.integer('RATE_LIMIT_AUTH_PER_MINUTE', 60, 0, 1000000),
      writesPerCaller: read.integer('RATE_LIMIT_WRITES_PER_MINUTE', 600, 0, 1000000),
    },
    trustProxy: read.trustProxy('TRUST_PROXY', ['loopback']),
  };
  for (const [name, root] of [['HOMES_ROOT', config.homesRoot], ['DATASETS_ROOT', config.datasetsRoot]]) {
    // Everything below these roots is some user's to read and write.
    if (dataDir === root || dataDir.startsWith(root + path.sep)) {
      read.problems.push(`DATA_DIR must not lie inside ${name}: the API's database and keys would be in users' files`);
    }
  }
  if (configuredIssuer?.startsWith('http:') && !config.oidc.allowHttp) {
    read.problems.push(
      'OIDC_ISSUER uses plain http: set an https issuer or OIDC_ALLOW_HTTP=true',
    );
  }
  // Peers get tokens and session ids from the API: in production only over TLS, unless the operator vouches for the network.
  const allowHttpPeers = read.boolean('ALLOW_HTTP_PEERS', false);
  if (production && !allowHttpPeers) {
    for (const [name, url] of [['HUB_API_URL', hubApiUrl], ['VAULT_ADDR', vaultAddress], ['OPENBIS_URL', config.files.openbis.url]]) {
      if (url?.startsWith('http:')) {
        read.problems.push(`${name} uses plain http: set an https URL, or ALLOW_HTTP_PEERS=true when the network to it is trusted`);
      }
    }
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}
