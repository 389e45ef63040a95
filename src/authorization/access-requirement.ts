import {authorize, AuthorizationMetadata} from '@loopback/authorization';
import type {AccessLevel, ResourceKind} from '../types/resource-access';

/** Where a route's resource id is: a path or query parameter, or a property of the JSON body. */
export interface IdParam {
  in: 'path' | 'query' | 'body';
  name: string;
}

/** What a route needs, read by the ResourceAccessAuthorizer. */
export interface AccessRequirement extends AuthorizationMetadata {
  resource?: ResourceKind;
  scopes: [AccessLevel | 'admin' | 'self' | 'spawner'];
  /** Where the resource id is: the path parameter `id` unless said otherwise. */
  idParam?: IdParam;
  /**
   * The id names a files root: a home (absent, empty or `home`): the
   * caller's, or the one of the person in `personParam`, which only admins
   * may name; a module's binaries folder (`module:{id}`); else a dataset.
   */
  home?: {personParam?: string};
}

/** The route acts on one resource and needs at least `level` on it; unreadable ones are 404. */
export function requireAccess(kind: ResourceKind, level: Exclude<AccessLevel, 'none'>, idParam?: IdParam) {
  const requirement: AccessRequirement = {resource: kind, scopes: [level], idParam};
  return authorize(requirement);
}

/**
 * The route acts on files under a root: a home (see AccessRequirement.home),
 * a module's binaries folder or a dataset, on which it needs `level`.
 */
export function requireRootAccess(level: 'read' | 'write', root: IdParam, personParam?: string) {
  const requirement: AccessRequirement = {resource: 'dataset', scopes: [level], idParam: root, home: {personParam}};
  return authorize(requirement);
}

/** Only admins. */
export function requireAdmin() {
  const requirement: AccessRequirement = {scopes: ['admin']};
  return authorize(requirement);
}

/** Only the person named by an `email` parameter, or an admin; without the parameter, anyone signed in. */
export function requireSelfOrAdmin(name = 'email') {
  const requirement: AccessRequirement = {scopes: ['self'], idParam: {in: 'query', name}};
  return authorize(requirement);
}

/** Only the hub's spawner (SPAWNER_TOKEN). */
export function requireSpawner() {
  const requirement: AccessRequirement = {scopes: ['spawner']};
  return authorize(requirement);
}
