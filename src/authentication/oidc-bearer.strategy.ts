import {AuthenticationStrategy, asAuthStrategy} from '@loopback/authentication';
import {BindingScope, injectable, service} from '@loopback/core';
import {HttpErrors, Request} from '@loopback/rest';
import {OIDC_BEARER_STRATEGY} from '../keys';
import {AccessTokenVerifierService} from '../services/identity/access-token-verifier.service';
import {Caller, IdentityService} from '../services/identity/identity.service';

/** The API's one authentication strategy, applied to every route not marked public. */
@injectable(asAuthStrategy, {scope: BindingScope.SINGLETON})
export class OidcBearerStrategy implements AuthenticationStrategy {
  readonly name = OIDC_BEARER_STRATEGY;

  constructor(
    @service(AccessTokenVerifierService)
    private readonly verifier: AccessTokenVerifierService,
    @service(IdentityService) private readonly identity: IdentityService,
  ) {}

  async authenticate(request: Request): Promise<Caller> {
    const claims = await this.verifier.verify(bearerToken(request));
    return this.identity.callerFromClaims(claims);
  }
}

function bearerToken(request: Request): string {
  const header = request.headers.authorization;
  if (!header) {
    throw Object.assign(
      new HttpErrors.Unauthorized('Authorization header with a Bearer access token is required'),
      {headers: {'WWW-Authenticate': 'Bearer'}},
    );
  }
  const match = /^Bearer\s+([A-Za-z0-9\-_.~+/]+=*)$/i.exec(header.trim());
  if (!match) {
    throw Object.assign(
      new HttpErrors.Unauthorized('The Authorization header must be "Bearer <access token>"'),
      {headers: {'WWW-Authenticate': 'Bearer error="invalid_request"'}},
    );
  }
  return match[1];
}
