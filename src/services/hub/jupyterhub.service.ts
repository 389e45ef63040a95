import {BindingScope, inject, injectable, service} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import axios, {AxiosError, AxiosInstance, AxiosRequestConfig} from 'axios';
import type {Readable} from 'node:stream';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {peerError} from '../../utils/api-error.util';
import {currentRequestScope, REQUEST_ID_HEADER} from '../../utils/request-scope.util';
import {HubOutcome, MetricsService} from '../observability/metrics.service';

/** A named server as the hub's user model shows it. */
export interface HubServer {
  name: string;
  ready: boolean;
  pending: 'spawn' | 'stop' | null;
  url: string;
  /** When the hub last started it (ISO 8601, UTC). */
  started?: string | null;
  /** The latest activity the hub knows of: from the proxy's traffic and the server's own reports (ISO 8601, UTC). */
  last_activity?: string | null;
}

export interface HubUser {
  name: string;
  servers: Record<string, HubServer>;
}

export type HubStartResult = 'running' | 'starting';

/**
 * The time one action (a start, a stop) has for all its hub calls together:
 * HUB_TIMEOUT_MS bounds the action, not each call of it.
 */
export class HubDeadline {
  private readonly at: number;

  constructor(ms: number) {
    this.at = Date.now() + ms;
  }

  get remainingMs(): number {
    return this.at - Date.now();
  }
}

/**
 * Every call to JupyterHub's REST API (JupyterHub 5). Requests are bounded
 * by HUB_TIMEOUT_MS; an unreachable hub answers 503, a slow one 504, a
 * failing one 502, each with a message naming JupyterHub.
 */
@injectable({scope: BindingScope.SINGLETON})
export class JupyterHubService {
  private readonly http?: AxiosInstance;
  private hubVersion?: {version: string; at: number};
  /** The background refresh of knownVersion under way, if any. */
  private versionRefresh?: Promise<void>;
  private versionAskedAt = 0;

  constructor(
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @service(MetricsService) private readonly metrics: MetricsService,
  ) {
    const {apiUrl, apiToken, timeoutMs} = config.hub;
    if (apiUrl) {
      this.http = axios.create({
        baseURL: apiUrl.replace(/\/+$/, ''),
        timeout: timeoutMs,
        headers: {Authorization: `token ${apiToken}`},
        // Every status is looked at by the caller, which knows what 404 or 409 means there.
        validateStatus: () => true,
        maxRedirects: 0,
      });
    }
  }

  /** A deadline of HUB_TIMEOUT_MS from now, for the calls of one action. */
  deadline(): HubDeadline {
    return new HubDeadline(this.config.hub.timeoutMs);
  }

  get configured(): boolean {
    return this.http !== undefined;
  }

  /** The hub's version, e.g. "5.5.4", asked of the hub now (the health check). */
  async version(deadline?: HubDeadline): Promise<string> {
    const res = await this.request('read its version', 'GET', '/', undefined, {}, deadline);
    this.expect(res.status === 200, res, 'read its version');
    this.hubVersion = {version: String((res.data as {version: string}).version), at: Date.now()};
    return this.hubVersion.version;
  }

  /**
   * The version last seen, undefined until the hub first answers, without
   * waiting on the hub: a route that does not need the hub must not take
   * as long as a slow or frozen one. Once the version is older than
   * `maxAgeMs`, one refresh is asked in the background; while it is under
   * way, and for VERSION_RETRY_MS after it was asked, no other one is.
   */
  knownVersion(maxAgeMs = 60_000): string | undefined {
    const now = Date.now();
    const stale = !this.hubVersion || now - this.hubVersion.at >= maxAgeMs;
    if (stale && !this.versionRefresh && now - this.versionAskedAt >= Math.min(maxAgeMs, VERSION_RETRY_MS)) {
      this.versionAskedAt = now;
      this.versionRefresh = this.version()
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => (this.versionRefresh = undefined));
    }
    return this.hubVersion?.version;
  }

  async user(name: string, deadline?: HubDeadline): Promise<HubUser | undefined> {
    const res = await this.request('read a user', 'GET', `/users/${escapePath(name)}`, undefined, {}, deadline);
    if (res.status === 404) return undefined;
    this.expect(res.status === 200, res, `read user ${name}`);
    return res.data as HubUser;
  }

  /**
   * One named server's state, from its user's model (the hub has no GET of
   * a single server). Undefined when the hub has no such active server.
   */
  async server(user: string, server: string, deadline?: HubDeadline): Promise<HubServer | undefined> {
    return (await this.user(user, deadline))?.servers[server];
  }

  /** Creates the hub user if missing; true when it was created now. */
  async ensureUser(name: string, deadline?: HubDeadline): Promise<boolean> {
    const res = await this.request('create a user', 'POST', `/users/${escapePath(name)}`, undefined, {}, deadline);
    if (res.status === 409) return false;
    this.expect(res.status === 201, res, `create user ${name}`);
    return true;
  }

  async startServer(user: string, server: string, userOptions: object, deadline?: HubDeadline): Promise<HubStartResult> {
    const res = await this.request('start a server', 'POST', this.serverPath(user, server), userOptions, {}, deadline);
    if (res.status === 201) return 'running';
    if (res.status === 202) return 'starting';
    if (res.status === 400 && /already running/i.test(messageOf(res.data))) return 'running';
    if (res.status === 400 && /pending/i.test(messageOf(res.data))) return 'starting';
    throw this.failure(res, `start server ${server} of ${user}`);
  }

  /** Stops (and with `remove`, deletes) a named server; answers whether it is already stopped. */
  async stopServer(user: string, server: string, remove = false, deadline?: HubDeadline): Promise<'stopped' | 'stopping'> {
    const res = await this.request('stop a server', 'DELETE', this.serverPath(user, server), remove ? {remove: true} : undefined, {}, deadline);
    if (res.status === 204 || res.status === 404) return 'stopped';
    if (res.status === 202) return 'stopping';
    if (res.status === 400 && /pending spawn/i.test(messageOf(res.data))) {
      throw new HttpErrors.Conflict(`JupyterHub is still starting server ${server}; stop it once it has started`);
    }
    throw this.failure(res, `stop server ${server} of ${user}`);
  }

  /** Users with active servers, page by page, at most `maxRequests` requests. */
  async activeUsers(maxRequests: number): Promise<{users: HubUser[]; complete: boolean}> {
    const users: HubUser[] = [];
    let offset = 0;
    for (let page = 0; page < maxRequests; page++) {
      const res = await this.request('list users', 'GET', '/users', undefined, {
        params: {state: 'active', offset, limit: 200},
        headers: {Accept: 'application/jupyterhub-pagination+json'},
      });
      this.expect(res.status === 200, res, 'list users');
      const body = res.data as {items: HubUser[]; _pagination: {next: {offset: number} | null}};
      users.push(...body.items);
      if (!body._pagination.next) return {users, complete: true};
      offset = body._pagination.next.offset;
    }
    return {users, complete: false};
  }

  /** The hub's spawn progress as a stream of server-sent events. */
  async progress(user: string, server: string, deadline?: HubDeadline): Promise<Readable> {
    const res = await this.progressResponse(user, server, deadline);
    if (res.status !== 200) {
      (res.data as Readable).resume();
      throw this.failure(res, `read the spawn progress of ${server}`);
    }
    return res.data as Readable;
  }

  /**
   * The hub's spawn progress, or undefined when the hub has no spawn of the
   * server to tell of: 404 (no such user or server yet) or 400 (not
   * starting), which a start the hub has not received yet, or one that has
   * just ended, also answers.
   */
  async pendingProgress(user: string, server: string, deadline?: HubDeadline): Promise<Readable | undefined> {
    const res = await this.progressResponse(user, server, deadline);
    if (res.status === 200) return res.data as Readable;
    (res.data as Readable).resume();
    if (res.status === 404 || res.status === 400) return undefined;
    throw this.failure(res, `read the spawn progress of ${server}`);
  }

  private progressResponse(user: string, server: string, deadline?: HubDeadline) {
    return this.request('read spawn progress', 'GET', `${this.serverPath(user, server)}/progress`, undefined, {
      responseType: 'stream',
      headers: {Accept: 'text/event-stream'},
      // The stream lasts as long as the spawn (or the action's deadline); only connecting is bounded.
      timeout: 0,
      signal: AbortSignal.timeout(deadline ? Math.max(1, deadline.remainingMs) : 10 * 60 * 1000),
    });
  }

  /** The URL that opens a named server (or a path in it) in the browser. */
  serverUrl(user: string, server: string, path = ''): string {
    return `${this.config.hub.publicUrl}/user/${escapePath(user)}/${escapePath(server)}/${path}`;
  }

  private serverPath(user: string, server: string): string {
    return `/users/${escapePath(user)}/servers/${escapePath(server)}`;
  }

  private async request(
    what: string,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    data?: object,
    options: Parameters<AxiosInstance['request']>[0] = {},
    deadline?: HubDeadline,
  ) {
    if (!this.http) {
      throw peerError('hub', new HttpErrors.ServiceUnavailable('JupyterHub is not configured (set HUB_API_URL and HUB_API_TOKEN)'));
    }
    const bounded = deadline && options.timeout === undefined ? {timeout: Math.min(this.config.hub.timeoutMs, deadline.remainingMs)} : {};
    const operation = operationLabel(what);
    if (bounded.timeout !== undefined && bounded.timeout <= 0) {
      this.metrics.hubRequest(operation, 'timeout', 0);
      throw peerError('hub', new HttpErrors.GatewayTimeout(`JupyterHub did not answer within HUB_TIMEOUT_MS when asked to ${what}`));
    }
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const res = await this.http.request({method, url: path, data, ...options, headers: withRequestId(options.headers), ...bounded});
      // A 4xx is an answer the caller reads (no such user, already exists); 5xx and refused credentials are the hub failing.
      const failed = res.status >= 500 || res.status === 401 || res.status === 403;
      this.metrics.hubRequest(operation, failed ? 'hub_error' : 'ok', seconds());
      return res;
    } catch (err) {
      const failure = unreachable(err as AxiosError, what);
      this.metrics.hubRequest(operation, OUTCOME_OF[(failure as {code?: string}).code ?? ''] ?? 'unavailable', seconds());
      throw failure;
    }
  }

  private expect(ok: boolean, res: {status: number; data: unknown}, what: string): void {
    if (!ok) throw this.failure(res, what);
  }

  private failure(res: {status: number; data: unknown}, what: string): Error {
    const message = `JupyterHub could not ${what}: ${res.status} ${messageOf(res.data)}`.trim();
    if (res.status >= 500) return peerError('hub', new HttpErrors.BadGateway(message));
    if (res.status === 401 || res.status === 403) {
      return peerError('hub', new HttpErrors.BadGateway(`${message} (check HUB_API_TOKEN and the service's scopes)`));
    }
    return peerError('hub', new HttpErrors.BadGateway(message));
  }
}

/**
 * Adds the id of the request being handled, so the hub's log lines of a
 * call can be matched with the API's; calls of no request (the
 * reconciler's) go without.
 */
function withRequestId(headers: AxiosRequestConfig['headers']): AxiosRequestConfig['headers'] {
  const scope = currentRequestScope();
  return scope ? {...headers, [REQUEST_ID_HEADER]: scope.requestId} : headers;
}

/** How long knownVersion waits, after asking the hub in vain, before asking again. */
const VERSION_RETRY_MS = 5000;

const OUTCOME_OF: Record<string, HubOutcome> = {hub_timeout: 'timeout', hub_unavailable: 'unavailable'};

/** The metrics label of a kind of hub request: `start a server` is start_server. */
function operationLabel(what: string): string {
  return what.replace(/ (a|its) /g, ' ').replace(/ /g, '_');
}

/** A path segment escaped as JupyterHub escapes user and server names in its URLs (`@` and `~` stay). */
function escapePath(segment: string): string {
  return encodeURIComponent(segment).replace(/%40/g, '@');
}

function messageOf(data: unknown): string {
  if (data && typeof data === 'object' && 'message' in data) return String((data as {message: unknown}).message);
  return typeof data === 'string' ? data.slice(0, 200) : '';
}

function unreachable(err: AxiosError, what: string): Error {
  if (err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT' || err.name === 'TimeoutError') {
    return peerError('hub', new HttpErrors.GatewayTimeout(`JupyterHub did not answer in time when asked to ${what}`));
  }
  return peerError('hub', new HttpErrors.ServiceUnavailable(`JupyterHub is unreachable (${err.code ?? err.message}): could not ${what}`));
}
