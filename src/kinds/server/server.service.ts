import {BindingScope, injectable, service} from '@loopback/core';
import {DataObject, repository, Where} from '@loopback/repository';
import {HttpErrors} from '@loopback/rest';
import type {Page, PageOf} from '../../models/page';
import {Server, ServerStatus, StoppedReason} from './server.model';
import {Template} from '../template/template.model';
import {Plain} from '../../framework/plain-find';
import {ServerRepository} from './server.repository';
import {TemplateRepository} from '../template/template.repository';
import {readEvents} from '../../utils/event-stream.util';
import {KeyedLock} from '../../utils/keyed-lock.util';
import {AccessService} from '../../services/access/access.service';
import type {OwnedResource} from '../../types/resource-access';
import type {Caller} from '../../services/identity/identity.service';
import {HubDeadline, HubServer, JupyterHubService} from '../../services/hub/jupyterhub.service';
import {LoggerService} from '../../services/logger.service';
import {MetricsService} from '../../services/observability/metrics.service';
import {narrowing} from '../../services/pagination.service';
import {LaunchTicketService} from './launch-ticket.service';
import {SharingService} from '../../services/access/sharing.service';
import {ServerLimitsService} from './server-limits.service';
import {serverNameFor, TemplateService} from '../template/template.service';
import {UserDirectoryService} from '../../services/identity/user-directory.service';

export interface ServerFilter {
  owner?: string;
  type?: string;
  name?: string;
}

/** The status the hub's view of a named server means: pending spawn is starting, pending stop is stopping, absent is stopped. */
export function statusFromHub(server: HubServer | undefined): ServerStatus {
  if (!server) return 'stopped';
  if (server.pending === 'spawn') return 'starting';
  if (server.pending === 'stop') return 'stopping';
  return server.ready ? 'running' : 'starting';
}

/** A server that just started starting is left to its spawn this long before reconciliation may call it stopped. */
const SETTLE_MS = 30_000;

/**
 * Servers as JupyterHub named servers. Statuses live in the database: lists
 * never wait on the hub; each action refreshes its server; the reconciler
 * (ServerStatusObserver) brings the rest in line. Status changes are
 * conditional updates in the database, from the expected status, which the
 * store applies atomically: of concurrent starts, in one replica or several
 * on one database, one claims the server and causes one spawn.
 */
@injectable({scope: BindingScope.SINGLETON})
export class ServerService {
  private readonly lock = new KeyedLock();
  /** When this process asked the hub to start each server still starting, for the spawn duration metric. */
  private readonly spawnsAskedAt = new Map<string, bigint>();

  constructor(
    @repository(ServerRepository) private readonly servers: ServerRepository,
    @repository(TemplateRepository) private readonly templates: TemplateRepository,
    @service(TemplateService) private readonly templateService: TemplateService,
    @service(LaunchTicketService) private readonly launchTickets: LaunchTicketService,
    @service(JupyterHubService) private readonly hub: JupyterHubService,
    @service(UserDirectoryService) private readonly users: UserDirectoryService,
    @service(AccessService) private readonly access: AccessService,
    @service(SharingService) private readonly sharing: SharingService,
    @service(LoggerService) private readonly logger: LoggerService,
    @service(MetricsService) private readonly metrics: MetricsService,
    @service(ServerLimitsService) private readonly limits: ServerLimitsService,
  ) {}

  async list(caller: Caller, filter: ServerFilter, page: Page): Promise<PageOf<Plain<Server>>> {
    const where: object[] = [await this.access.readableWhere<Server>(caller, 'server'), narrowing(filter)];
    if (filter.type) {
      const templates = await this.templates.find({where: {type: filter.type as Template['type']}, fields: {_id: true}});
      where.push({templateId: {inq: templates.map(t => t._id!)}});
    }
    return this.servers.findPage({and: where} as Where<Server>, ['createdAt ASC'], page);
  }

  get(id: string): Promise<Plain<Server>> {
    return this.servers.findPlainById(id);
  }

  /**
   * A new server of the caller on `template`, started unless `start` is
   * false. A start that fails leaves nothing behind: no server record, and
   * no template made for it by POST /servers.
   */
  async create(caller: Caller, template: Template, start: boolean): Promise<Server> {
    await this.templateService.assertReadable(caller, template);
    const now = new Date();
    const server = await this.createNamed(caller.email, template.serverName ?? serverNameFor(template.name), {
      hubUser: caller.username,
      templateId: template._id!,
      status: 'stopped',
      createdAt: now,
      statusChangedAt: now,
    });
    if (!start) return server;
    try {
      return await this.start(caller, server._id!);
    } catch (err) {
      await this.servers.deleteById(server._id);
      await this.dropImplicitTemplate(template._id!);
      throw err;
    }
  }

  /** Starts a stopped server; one already starting or running is answered as it is, without a hub call. */
  async start(caller: Caller, id: string): Promise<Server> {
    const claimed = await this.transition(id, ['stopped'], 'starting', {lastError: null, limitsEnforced: null, startedAt: new Date()});
    const deadline = this.hub.deadline();
    const server = await this.servers.findById(id);
    if (!claimed) return server;
    let launchTicket: string | undefined;
    try {
      const template = await this.templates.findById(server.templateId);
      const owner = caller.email === server.owner ? caller : await this.users.asCaller(server.owner);
      await this.templateService.assertReadable(owner, template);
      launchTicket = await this.launchTickets.mint(server);
      await this.hub.ensureUser(server.hubUser, deadline);
      this.spawnsAskedAt.set(id, process.hrtime.bigint());
      // The ticket alone: the spawner acts on the plan it redeems it for, never on options a hub user could write.
      const result = await this.hub.startServer(server.hubUser, server.name, {launchTicket}, deadline);
      if (result === 'running') {
        await this.transition(id, ['starting'], 'running', {url: this.hub.serverUrl(server.hubUser, server.name)});
      } else {
        this.watchSpawn(server);
      }
    } catch (err) {
      // The hub answers a spawn that failed at once with a bare 500; its progress stream keeps the reason.
      const reason = err instanceof HttpErrors.BadGateway ? await this.spawnFailure(server, deadline).catch(() => undefined) : undefined;
      if (reason) (err as Error).message = `${(err as Error).message}: ${reason}`;
      if (launchTicket) {
        // Left, it expires unused.
        await this.launchTickets
          .discard(launchTicket)
          .catch((e: Error) => this.logger.warn('could not void the launch ticket of a failed start', {server: id, reason: e.message}));
      }
      await this.transition(id, ['starting'], 'stopped', {lastError: (err as Error).message});
      throw err;
    }
    if (caller.email === server.owner) await this.users.rememberLaunch(caller, server.templateId);
    return this.servers.findById(id);
  }

  /** Why the hub's last spawn of the server failed, from its progress stream, if it did. */
  private async spawnFailure(server: Server, deadline: HubDeadline): Promise<string | undefined> {
    let reason: string | undefined;
    await readEvents(await this.hub.progress(server.hubUser, server.name, deadline), event => {
      if (event.failed && event.message) reason = String(event.message);
      return Boolean(event.failed) || Boolean(event.ready);
    });
    return reason;
  }

  /** Stops a running or starting server; a stopped or stopping one is answered as it is. */
  async stop(id: string): Promise<Server> {
    const server = await this.servers.findById(id);
    if (await this.transition(id, ['running', 'starting'], 'stopping')) await this.stopAtHub(server);
    return this.servers.findById(id);
  }

  /**
   * Stops a running server the API decided to stop (idle, past its
   * lifetime): it stays, saying why and when. False when it was no longer
   * running (a person stopped it meanwhile) or the hub could not be asked.
   */
  private async cull(server: Server, reason: StoppedReason): Promise<boolean> {
    if (!(await this.transition(server._id!, ['running'], 'stopping', {stoppedReason: reason, stoppedAt: new Date()}))) return false;
    try {
      await this.stopAtHub(server);
    } catch (err) {
      this.logger.warn('could not stop a server past its limits; the next pass tries again', {server: server._id, reason, error: (err as Error).message});
      return false;
    }
    this.metrics.serverCulled(reason);
    this.logger.info('stopped a server past its limits', {server: server._id, reason});
    return true;
  }

  /** Asks the hub to stop a server this process moved to stopping. */
  private async stopAtHub(server: Server): Promise<void> {
    const id = server._id!;
    const deadline = this.hub.deadline();
    try {
      if ((await this.hub.stopServer(server.hubUser, server.name, false, deadline)) === 'stopped') {
        await this.transition(id, ['stopping'], 'stopped');
      }
    } catch (err) {
      // Learn the truth from the hub within what is left of the deadline; failing that, undo the claim.
      await this.refresh({...server, status: 'stopping'} as Server, deadline).catch(() =>
        this.transition(id, ['stopping'], server.status),
      );
      throw err;
    }
  }

  /** Stops and removes the named server at the hub, then the record and, if nothing else uses it, its private template. */
  async remove(id: string): Promise<void> {
    await this.lock.run(id, async () => {
      const server = await this.servers.findById(id);
      const deadline = this.hub.deadline();
      // A server of a user the hub never had is answered 404: already gone.
      await this.hub.stopServer(server.hubUser, server.name, true, deadline);
      await this.servers.deleteById(id);
      await this.launchTickets.forgetServer(id);
      this.spawnsAskedAt.delete(id);
      await this.sharing.forget('server', id);
      await this.dropImplicitTemplate(server.templateId);
    });
  }

  /** A template POST /servers made goes with its last server, unless it was made public or shared since. */
  private async dropImplicitTemplate(templateId: string): Promise<void> {
    const template = await this.templates.findOne({where: {_id: templateId}});
    if (!template?.implicit || template.public) return;
    if ((await this.servers.count({templateId})).count > 0) return;
    if ((await this.sharing.everyone('template', template as OwnedResource)).length > 0) return;
    await this.templates.deleteById(templateId);
  }

  /** Asks the hub about one server and stores what it says. */
  async refresh(server: Server, deadline?: HubDeadline): Promise<Server> {
    const askedAt = new Date();
    const state = await this.hub.server(server.hubUser, server.name, deadline);
    const status = statusFromHub(state);
    if (status !== server.status) {
      await this.transition(server._id!, [server.status], status, this.urlFor(server, status), askedAt);
    }
    return this.servers.findById(server._id);
  }

  /**
   * Brings stored statuses in line with the hub, with at most
   * HUB_RECONCILE_MAX_REQUESTS hub requests whatever the number of servers,
   * then stops the running servers past their idle timeout or lifetime,
   * judged on the same answers (one hub request each, for those alone).
   */
  async reconcile(maxRequests: number): Promise<{changed: number; culled: number}> {
    const askedAt = new Date();
    const {users, complete} = await this.hub.activeUsers(maxRequests);
    const active = new Map<string, HubServer>();
    for (const user of users) {
      for (const [name, state] of Object.entries(user.servers ?? {})) active.set(`${user.name}\u0000${name}`, state);
    }
    const key = (s: Server) => `${s.hubUser}\u0000${s.name}`;
    // A start the API has just asked for may not show at the hub yet.
    const settled = (s: Server) =>
      s.status !== 'starting' || Date.now() - new Date(s.statusChangedAt ?? 0).getTime() > SETTLE_MS;
    let changed = 0;
    const running: Server[] = [];
    const tracked = await this.servers.find({where: {status: {inq: ['starting', 'running', 'stopping']}}});
    for (const server of tracked) {
      const state = active.get(key(server));
      if (!state && (!complete || !settled(server))) continue;
      const status = statusFromHub(state);
      if (status === server.status) {
        if (status === 'running') running.push(server);
      } else if (await this.transition(server._id!, [server.status], status, this.urlFor(server, status), askedAt)) {
        changed++;
        if (status === 'running') running.push(server);
      }
    }
    const trackedKeys = new Set(tracked.map(key));
    const untracked = [...active.keys()].filter(k => !trackedKeys.has(k)).map(k => {
      const [hubUser, name] = k.split('\u0000');
      return {hubUser, name};
    });
    for (let i = 0; i < untracked.length; i += 100) {
      const stopped = await this.servers.find({where: {or: untracked.slice(i, i + 100)}});
      for (const server of stopped) {
        const state = active.get(key(server))!;
        const status = statusFromHub(state);
        // Started without the API: its lifetime counts from the hub's start.
        const startedAt = state.started ? new Date(state.started) : askedAt;
        if (await this.transition(server._id!, ['stopped'], status, {...this.urlFor(server, status), startedAt}, askedAt)) changed++;
      }
    }
    let culled = 0;
    for (const [server, reason] of await this.dueToStop(running, active, key)) {
      if (await this.cull(server, reason)) culled++;
    }
    return {changed, culled};
  }

  /** The running servers past their template's idle timeout or lifetime, with the reason; their templates read in one query. */
  private async dueToStop(running: Server[], active: Map<string, HubServer>, key: (s: Server) => string): Promise<Array<[Server, StoppedReason]>> {
    if (running.length === 0) return [];
    const templateIds = [...new Set(running.map(s => s.templateId))];
    const templates = await this.templates.findPlain({where: {_id: {inq: templateIds}}});
    const limitsOf = new Map(templates.map(t => [t._id!, this.limits.limitsOf(t)]));
    const now = Date.now();
    const due: Array<[Server, StoppedReason]> = [];
    for (const server of running) {
      const reason = this.limits.dueReason(limitsOf.get(server.templateId) ?? this.limits.limitsOf({}), server.startedAt, active.get(key(server))!, now);
      if (reason) due.push([server, reason]);
    }
    return due;
  }

  /** Follows the hub's progress stream of a spawn to its end and stores the outcome. */
  private watchSpawn(server: Server): void {
    const id = server._id!;
    const follow = async () => {
      let outcome: {url?: string; error?: string} = {};
      await readEvents(await this.hub.progress(server.hubUser, server.name), event => {
        if (event.ready) outcome = {url: this.hub.serverUrl(server.hubUser, server.name)};
        else if (event.failed) outcome = {error: String(event.message ?? 'The spawn failed')};
        return outcome.url !== undefined || outcome.error !== undefined;
      });
      if (outcome.url) await this.transition(id, ['starting'], 'running', {url: outcome.url});
      // The reconciler may have seen the server gone first: the reason still belongs on it.
      else if (outcome.error) await this.transition(id, ['starting', 'stopped'], 'stopped', {lastError: outcome.error});
      else await this.refresh(await this.servers.findById(id));
    };
    follow().catch(err =>
      this.logger.warn('could not follow a spawn', {server: id, reason: (err as Error).message}),
    );
  }

  /**
   * Moves a server from one of `from` to `to` in one conditional update:
   * true when this call moved it.
   * With `hubAskedAt`, only if its status has not changed since the hub was
   * asked: an answer older than the API's own change (a stop just asked
   * for) must not undo it.
   */
  private async transition(
    id: string,
    from: ServerStatus[],
    to: ServerStatus,
    extra: {lastError?: string | null; url?: string | null; limitsEnforced?: null; startedAt?: Date; stoppedReason?: StoppedReason; stoppedAt?: Date} = {},
    hubAskedAt?: Date,
  ): Promise<boolean> {
    // Why the API stopped a server holds until it starts again.
    const started = to === 'starting' || to === 'running' ? {stoppedReason: null, stoppedAt: null} : {};
    const {count} = await this.servers.updateAll(
      {status: to, statusChangedAt: new Date(), ...started, ...extra} as Partial<Server>,
      {_id: id, status: {inq: from}, ...(hubAskedAt ? {statusChangedAt: {lt: hubAskedAt}} : {})},
    );
    if (count > 0 && to !== 'starting') this.spawnEnded(id, to);
    return count > 0;
  }

  /** A spawn this process asked for has ended, whoever saw it end (the start, its progress stream, the reconciler). */
  private spawnEnded(id: string, status: ServerStatus): void {
    const askedAt = this.spawnsAskedAt.get(id);
    if (askedAt === undefined) return;
    this.spawnsAskedAt.delete(id);
    const outcome = status === 'running' ? 'running' : status === 'stopped' ? 'failed' : 'cancelled';
    this.metrics.spawnEnded(outcome, Number(process.hrtime.bigint() - askedAt) / 1e9);
  }

  private urlFor(server: Server, status: ServerStatus): {url?: string} {
    return status === 'running' ? {url: this.hub.serverUrl(server.hubUser, server.name)} : {};
  }

  /**
   * Creates a server of `owner` under `base`, or `base-2`, `base-3`...: the first
   * name its owner has no server under. The store's unique (owner, name)
   * index decides: a name another create took meanwhile, in this process or
   * another replica, is refused with 409, and the next one is tried.
   */
  private async createNamed(owner: string, base: string, fields: DataObject<Server>): Promise<Server> {
    const taken = new Set((await this.servers.find({where: {owner}, fields: {name: true}})).map(s => s.name));
    for (let n = 1; ; n++) {
      const name = n === 1 ? base : `${base}-${n}`;
      if (taken.has(name)) continue;
      try {
        return await this.servers.create({...fields, owner, name});
      } catch (err) {
        if (!(err instanceof HttpErrors.Conflict)) throw err;
      }
    }
  }
}

/** A template made for one person's servers: deleted with the last of them. */
