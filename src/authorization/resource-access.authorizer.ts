import {
  AuthorizationContext,
  AuthorizationDecision,
  AuthorizationTags,
  Authorizer,
} from '@loopback/authorization';
import {BindingScope, injectable, Provider, service} from '@loopback/core';
import {HttpErrors, OperationObject, ResolvedRoute, RestBindings} from '@loopback/rest';
import {SecurityBindings} from '@loopback/security';
import {ResourceBindings} from '../keys';
import {AccessService, atLeast} from '../services/access/access.service';
import {MODULE_ROOT_PREFIX, ResourceKind} from '../types/resource-access';
import type {Caller} from '../services/identity/identity.service';
import {ResourceLookupService} from '../services/access/resource-lookup.service';
import {normaliseEmail} from '../validation';
import {AccessRequirement, IdParam} from './access-requirement';
import {operationArgument} from './operation-argument';

const DEFAULT_ID: IdParam = {in: 'path', name: 'id'};

/**
 * Applies each route's AccessRequirement through LoopBack's authorization
 * interceptor, so no controller decides access itself. A resource the caller
 * may not read is 404, as if it did not exist; one they may read but not
 * change as asked is 403. The resource is read once, here, from the parsed
 * arguments, and bound for the handler (ResourceBindings.AUTHORIZED), as
 * loopback-next's access-control example binds the resource it decided on.
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

  private async decide(context: AuthorizationContext, requirement: AccessRequirement): Promise<AuthorizationDecision> {
    const invocation = context.invocationContext;
    const caller = await invocation.get<Caller>(SecurityBindings.USER);
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
    const {spec: operation} = await invocation.get<ResolvedRoute>(RestBindings.Operation.ROUTE);
    const id = argumentOf(operation, invocation.args, requirement.idParam ?? DEFAULT_ID);
    if (required === 'self') return selfOrAdmin(caller, id);
    if (requirement.home && (id === undefined || id === 'home')) {
      const {personParam} = requirement.home;
      return selfOrAdmin(caller, personParam ? argumentOf(operation, invocation.args, {in: 'query', name: personParam}) : undefined);
    }
    const {kind, id: resourceId} = requirement.home ? rootResource(id) : {kind: requirement.resource as ResourceKind, id};
    const found = resourceId === undefined ? undefined : await this.resources.find(kind, resourceId);
    const level = found ? await this.access.levelOf(caller, kind, found.subject) : 'none';
    if (!found || level === 'none') {
      throw new HttpErrors.NotFound(`${capitalise(kind)} ${resourceId ?? ''} not found`.trim());
    }
    if (!atLeast(level, required)) {
      throw new HttpErrors.Forbidden(`This needs ${required} access to the ${kind}; you have ${level} access`);
    }
    invocation.bind(ResourceBindings.AUTHORIZED).to({kind, id: resourceId!, level, ...found});
    return AuthorizationDecision.ALLOW;
  }
}

/** The resource a files root other than a home names: a module's binaries (`module:{id}`) or a dataset. */
function rootResource(root: string | undefined): {kind: ResourceKind; id: string | undefined} {
  if (root?.startsWith(MODULE_ROOT_PREFIX)) return {kind: 'module', id: root.slice(MODULE_ROOT_PREFIX.length) || undefined};
  return {kind: 'dataset', id: root};
}

/** A non-empty string argument, or undefined. */
function argumentOf(operation: OperationObject, args: readonly unknown[], where: IdParam): string | undefined {
  const value = operationArgument(operation, args, where);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function selfOrAdmin(caller: Caller, email: string | undefined): AuthorizationDecision {
  if (email === undefined || caller.admin || normaliseEmail(email) === caller.email) return AuthorizationDecision.ALLOW;
  throw new HttpErrors.Forbidden('Only the user themselves or an administrator may do this');
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
