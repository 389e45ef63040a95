import {BindingScope, inject, injectable, service} from '@loopback/core';
import {repository} from '@loopback/repository';
import {HttpErrors} from '@loopback/rest';
import {createHash, randomBytes} from 'node:crypto';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {Server} from './server.model';
import {LaunchTicketRepository} from '../../repositories/launch-ticket.repository';
import {ServerRepository} from './server.repository';
import {LaunchRefusal, MetricsService} from '../../services/observability/metrics.service';
import {LaunchPlan, LaunchPlanService} from './launch-plan.service';

/** What the hub's spawner sends to redeem a ticket. */
export interface LaunchRedemption {
  launchTicket?: string;
  limitsEnforced?: boolean;
}

const digest = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

/** Said of every ticket the store does not hold live: which of unknown, used or expired it is helps no one but a guesser. */
const NOT_REDEEMABLE = 'The launch ticket is unknown, used or expired';

/**
 * Launch tickets: the one thing a start puts in the hub's user_options.
 * Anyone can start their own server at the hub with options of their own
 * making, so the spawner acts on no option: it redeems the ticket here and
 * gets the plan the API decides. A ticket is random, stored only as its
 * hash, bound to one server of one hub user, short-lived, and spent by its
 * first redemption.
 */
@injectable({scope: BindingScope.SINGLETON})
export class LaunchTicketService {
  constructor(
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @repository(LaunchTicketRepository) private readonly tickets: LaunchTicketRepository,
    @repository(ServerRepository) private readonly servers: ServerRepository,
    @service(LaunchPlanService) private readonly plans: LaunchPlanService,
    @service(MetricsService) private readonly metrics: MetricsService,
  ) {}

  /** A new ticket for the server's start; the server's earlier tickets, and expired ones of any server, are void from now on. */
  async mint(server: Server): Promise<string> {
    const ticket = randomBytes(32).toString('base64url');
    const now = new Date();
    await this.tickets.deleteAll({or: [{serverId: server._id}, {expiresAt: {lt: now}}]});
    await this.tickets.create({
      hash: digest(ticket),
      serverId: server._id!,
      hubUser: server.hubUser,
      serverName: server.name,
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.config.hub.launchTicketTtlSeconds * 1000),
    });
    return ticket;
  }

  /** Voids a ticket whose start failed: a spawn the hub began anyway gets no plan. */
  async discard(ticket: string): Promise<void> {
    await this.tickets.deleteAll({hash: digest(ticket)});
  }

  async forgetServer(serverId: string): Promise<void> {
    await this.tickets.deleteAll({serverId});
  }

  /**
   * Spends the ticket and answers the plan of its server, or refuses (403
   * launch_refused, counted by reason). Deleting the ticket is what spends
   * it, conditionally on its id: of concurrent redemptions, the store counts
   * the deletion for one alone. A ticket presented for the wrong server is
   * spent as well, since it has leaked.
   */
  async redeem(hubUser: string, serverName: string, redemption: LaunchRedemption): Promise<LaunchPlan> {
    const ticket = redemption.launchTicket ?? '';
    if (ticket === '') throw this.refuse('missing', 'No launch ticket came with the request: the API did not start this spawn');
    const now = new Date();
    const stored = await this.tickets.findOne({where: {hash: digest(ticket)}});
    const spent = stored ? (await this.tickets.deleteAll({_id: stored._id, hash: stored.hash})).count === 1 : false;
    if (!stored || !spent) throw this.refuse('unknown_or_used', NOT_REDEEMABLE);
    if (new Date(stored.expiresAt).getTime() <= now.getTime()) throw this.refuse('expired', NOT_REDEEMABLE);
    if (stored.hubUser !== hubUser || stored.serverName !== serverName) {
      throw this.refuse('wrong_server', 'The launch ticket is for another server');
    }
    const server = await this.servers.findOne({where: {_id: stored.serverId, hubUser, name: serverName}});
    if (server?.status !== 'starting') throw this.refuse('not_starting', 'The server of this launch ticket is not starting');
    if (redemption.limitsEnforced !== undefined) {
      await this.servers.updateAll({limitsEnforced: redemption.limitsEnforced}, {_id: server._id, status: 'starting'});
    }
    return this.plans.planFor(server);
  }

  private refuse(reason: LaunchRefusal, message: string): HttpErrors.HttpError {
    this.metrics.launchRefused(reason);
    return Object.assign(new HttpErrors.Forbidden(message), {code: 'launch_refused'});
  }
}
