import {AuthenticationStrategy, asAuthStrategy} from '@loopback/authentication';
import {BindingScope, inject, injectable, service} from '@loopback/core';
import {Request} from '@loopback/rest';
import {securityId} from '@loopback/security';
import type {AppConfig} from '../config';
import {AppBindings, OPENBIS_SESSION_STRATEGY} from '../keys';
import {Caller, IdentityService} from '../services/identity/identity.service';
import {OpenbisService} from '../services/identity/openbis.service';

/**
 * The ELN's way in: `?token=<openBIS session token>`, as the openBIS ELN sends it, checked
 * against openBIS. Used only on the ELN's route, next to the bearer strategy;
 * without a token it leaves the request to that one.
 */
@injectable(asAuthStrategy, {scope: BindingScope.SINGLETON})
export class OpenbisSessionStrategy implements AuthenticationStrategy {
  readonly name = OPENBIS_SESSION_STRATEGY;

  constructor(
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @service(OpenbisService) private readonly openbis: OpenbisService,
    @service(IdentityService) private readonly identity: IdentityService,
  ) {}

  async authenticate(request: Request): Promise<Caller | undefined> {
    const token = request.query.token;
    if (typeof token !== 'string') return undefined;
    const user = await this.openbis.sessionUser(token);
    const domain = this.config.files.openbis.userDomain;
    const email = domain ? `${user}@${domain}`.toLowerCase() : '';
    return {
      [securityId]: `openbis:${user}`,
      email,
      username: email ? this.identity.hubUsername(email) : user.toLowerCase(),
      name: user,
      organisation: domain ?? '',
      admin: false,
    };
  }
}
