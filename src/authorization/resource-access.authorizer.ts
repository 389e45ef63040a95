import {
  AuthorizationContext,
  AuthorizationDecision,
  AuthorizationTags,
  Authorizer,
} from '@loopback/authorization';
import {BindingScope, injectable, Provider, service} from '@loopback/core';
import {HttpErrors, Request, ResolvedRoute, RestBindings} from '@loopback/rest';
import {SecurityBindings} from '@loopback/security';
import {AccessService, atLeast, ResourceKind} from '../services/access/access.service';
import type {Caller} from '../services/identity/identity.service';
import {ResourceLookupService} from '../services/access/resource-lookup.service';
import {normaliseEmail} from '../validation';
import type {AccessRequirement} from './access-requirement';

/**
 * Applies each route's AccessRequirement through LoopBack's authorization
 * interceptor, so no controller decides access itself. A resource the caller
 * may not read is 404, as if it did not exist; one they may read but not
 * change as asked is 403.
 */
@injectable({scope: BindingScope.SINGLETON, tags: {[AuthorizationTags.AUTHORIZER]: true}})
export class ResourceAccessAuthorizer implements Provider<Authorizer> {
  constructor(
    @service(AccessService) private readonly access: AccessService,
    @service(ResourceLookupService) private readonly resources: ResourceLookupService,
  ) {}

  value(): Authorizer {
    return (context, metadata) => this.decide(context, metadata as AccessRequirement);
  }

  private async decide(
    context: AuthorizationContext,
    requirement: AccessRequirement,
  ): Promise<AuthorizationDecision> {
    const caller = await context.invocationContext.get<Caller>(SecurityBindings.USER);
    const [required] = requirement.scopes;
    // The spawner is no person: its route is the one it may call, and only it may.
    if (required === 'spawner' || caller.spawner) {
      if (required === 'spawner' && caller.spawner) return AuthorizationDecision.ALLOW;
      throw new HttpErrors.Forbidden('Only the hub\'s spawner may call this route');
    }
    if (required === 'admin') {
      if (caller.admin) return AuthorizationDecision.ALLOW;
      throw new HttpErrors.Forbidden('Only administrators may do this');
    }
    const id = await resourceId(context, requirement);
    if (required === 'self') {
      if (id === undefined || caller.admin || normaliseEmail(id) === caller.email) return AuthorizationDecision.ALLOW;
      throw new HttpErrors.Forbidden('Only the user themselves or an administrator may do this');
    }
    const kind = requirement.resource as ResourceKind;
    const resource = id === undefined ? undefined : await this.resources.find(kind, id);
    const level = resource ? await this.access.levelOf(caller, kind, resource) : 'none';
    if (level === 'none') {
      throw new HttpErrors.NotFound(`${capitalise(kind)} ${id ?? ''} not found`.trim());
    }
    if (!atLeast(level, required)) {
      throw new HttpErrors.Forbidden(
        `This needs ${required} access to the ${kind}; you have ${level} access`,
      );
    }
    return AuthorizationDecision.ALLOW;
  }
}

async function resourceId(
  context: AuthorizationContext,
  requirement: AccessRequirement,
): Promise<string | undefined> {
  const {in: location, name} = requirement.idParam ?? {in: 'path', name: 'id'};
  if (location === 'path') {
    const route = await context.invocationContext.get<ResolvedRoute>(RestBindings.Operation.ROUTE);
    return route.pathParams[name] as string | undefined;
  }
  const request = await context.invocationContext.get<Request>(RestBindings.Http.REQUEST);
  const value = request.query[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
