import {BindingScope, injectable, service} from '@loopback/core';
import {Entity, repository, Where} from '@loopback/repository';
import {HttpErrors} from '@loopback/rest';
import {ACCESS_LEVELS, AccessLevel, AuthorizedResource, OwnedResource, ResourceKind} from '../../types/resource-access';
import {Grant, ShareableKind} from '../../models/grant.model';
import {Group} from '../../models/group.model';
import {GrantRepository} from '../../repositories/grant.repository';
import {GroupRepository} from '../../repositories/group.repository';
import {Plain} from '../../framework/plain-find';
import {ResourceLookupService} from './resource-lookup.service';
import {ResourceRegistryService} from './resource-registry.service';
import type {Caller} from '../identity/identity.service';

export function atLeast(level: AccessLevel, required: AccessLevel): boolean {
  return ACCESS_LEVELS.indexOf(level) >= ACCESS_LEVELS.indexOf(required);
}

function higher(a: AccessLevel, b: AccessLevel): AccessLevel {
  return atLeast(a, b) ? a : b;
}

/**
 * The one place that decides who may do what. A caller
 * holds the highest level given to them directly, through a group they are
 * a member of, or through their organisation; owners hold `owner`, admins
 * hold `owner` everywhere. Nothing is cached: a revoked grant or a removed
 * member loses access on the next request.
 */
@injectable({scope: BindingScope.SINGLETON})
export class AccessService {
  constructor(
    @repository(GrantRepository) private readonly grants: GrantRepository,
    @repository(GroupRepository) private readonly groups: GroupRepository,
    @service(ResourceRegistryService) private readonly registry: ResourceRegistryService,
    @service(ResourceLookupService) private readonly lookup: ResourceLookupService,
  ) {}

  /**
   * Of `ids` (duplicates once, in order), the resources that exist and the
   * caller may read, with the caller's level on each; and the ids that do
   * not exist or are not readable.
   */
  async readableReferences<T extends Entity>(
    caller: Caller,
    kind: ShareableKind,
    ids: readonly string[] | undefined,
  ): Promise<{readable: Array<{record: Plain<T>; level: AccessLevel}>; unreadable: string[]}> {
    const readable: Array<{record: Plain<T>; level: AccessLevel}> = [];
    const unreadable: string[] = [];
    for (const id of new Set(ids ?? [])) {
      const resource = await this.lookup.find<T>(kind, id);
      const level = resource ? await this.levelOf(caller, kind, resource.subject) : 'none';
      if (resource && level !== 'none') readable.push({record: resource.record, level});
      else unreadable.push(id);
    }
    return {readable, unreadable};
  }

  async levelOf(caller: Caller, kind: ResourceKind, resource: OwnedResource): Promise<AccessLevel> {
    if (caller.admin || resource.owner === caller.email) return 'owner';
    if (kind === 'group') {
      return resource.members?.includes(caller.email) ? 'read' : 'none';
    }
    const descriptor = await this.registry.descriptor(kind);
    const readableByAll = descriptor.readableByAllFlag !== undefined && resource[descriptor.readableByAllFlag] === true;
    let level: AccessLevel = readableByAll ? 'read' : 'none';
    const grants = await this.grants.findPlain({
      where: {resourceType: kind, resourceId: resource._id},
    });
    if (grants.length === 0) return level;
    const groupIds = grants.some(g => g.entityType === 'group')
      ? await this.groupIdsOf(caller.email)
      : [];
    for (const grant of grants) {
      if (holds(caller, groupIds, grant)) level = higher(level, grant.relation);
    }
    // What everyone reads, only its owner and admins change.
    if (readableByAll && descriptor.readableByAllNeedsOwnerToWrite && level === 'write') return 'read';
    return level;
  }

  /**
   * 403 when a change touches a field above the caller's level: writers
   * change what a resource holds, never who may read it (owner, public,
   * write_access), and only admins curate (featured). A field sent with its
   * current value is no change.
   */
  async assertMayChange(caller: Caller, {kind, level: held, record}: AuthorizedResource, change: object): Promise<void> {
    const {fieldLevels} = await this.registry.descriptor(kind);
    const level = caller.admin ? 'admin' : held;
    const refused = Object.entries(change).filter(([field, value]) => {
      const needed = fieldLevels[field];
      if (needed === undefined || value === undefined || value === (record as Record<string, unknown>)[field]) return false;
      return needed === 'admin' ? level !== 'admin' : level !== 'admin' && level !== 'owner';
    });
    if (refused.length > 0) {
      const fields = refused.map(([field]) => field).join(', ');
      throw new HttpErrors.Forbidden(`Changing ${fields} of a ${kind} needs ${refused.some(([f]) => fieldLevels[f] === 'admin') ? 'an administrator' : 'its owner or an administrator'}`);
    }
  }

  /**
   * A filter matching every resource of a kind the caller may read, built
   * with two queries whatever the number of resources.
   */
  async readableWhere<T extends object>(caller: Caller, kind: ResourceKind): Promise<Where<T>> {
    if (caller.admin) return {};
    if (kind === 'group') {
      return {or: [{owner: caller.email}, {members: caller.email}]} as Where<T>;
    }
    const granted = await this.grantedIds(caller, [kind]);
    return this.readableGiven<T>(caller, kind, granted.get(kind) ?? []);
  }

  /**
   * Which of the given ids of each kind name live resources the caller may
   * read (what a read by id would answer): one query for the caller's
   * groups, one for their grants and one per kind, whatever the number of
   * ids, so a page of templates costs the same few queries however many it
   * references.
   */
  async readableAmong(caller: Caller, ids: Partial<Record<ShareableKind, readonly string[]>>): Promise<Map<ShareableKind, Set<string>>> {
    const asked = (Object.entries(ids) as Array<[ShareableKind, readonly string[]]>).filter(([, list]) => list.length > 0);
    const readable = new Map<ShareableKind, Set<string>>();
    if (asked.length === 0) return readable;
    const granted = caller.admin
      ? undefined
      : await this.grantedIds(caller, asked.map(([kind]) => kind), asked.flatMap(([, list]) => list));
    for (const [kind, list] of asked) {
      const where = granted ? await this.readableGiven(caller, kind, granted.get(kind) ?? []) : {};
      readable.set(kind, await this.lookup.liveIdsAmong(kind, list, where));
    }
    return readable;
  }

  async groupIdsOf(email: string): Promise<string[]> {
    // Both connectors match an array property holding the value.
    const groups = await this.groups.findPlain({
      where: {members: email} as Where<Group>,
      fields: {_id: true},
    });
    return groups.map(g => g._id!);
  }

  /** A filter matching the resources of a kind the caller owns, was granted (`granted`) or everyone reads. */
  private async readableGiven<T extends object>(caller: Caller, kind: ShareableKind, granted: string[]): Promise<Where<T>> {
    const descriptor = await this.registry.descriptor(kind);
    const or: object[] = [{[descriptor.ownerField]: caller.email}];
    if (granted.length > 0) or.push({_id: {inq: granted}});
    if (descriptor.readableByAllFlag) or.push({[descriptor.readableByAllFlag]: true});
    return {or} as Where<T>;
  }

  /** The ids of each kind granted to the caller, themselves or through a group or their organisation; only among `among` when given. */
  private async grantedIds(caller: Caller, kinds: ShareableKind[], among?: readonly string[]): Promise<Map<ShareableKind, string[]>> {
    const groupIds = await this.groupIdsOf(caller.email);
    const entities: object[] = [
      {entityType: 'user', entity: caller.email},
      {entityType: 'org', entity: caller.organisation.toLowerCase()},
    ];
    if (groupIds.length > 0) entities.push({entityType: 'group', entity: {inq: groupIds}});
    const clauses: object[] = [kinds.length === 1 ? {resourceType: kinds[0]} : {resourceType: {inq: kinds}}, {or: entities}];
    if (among) clauses.push({resourceId: {inq: [...new Set(among)]}});
    const grants = await this.grants.findPlain({
      where: {and: clauses} as Where<Grant>,
      fields: {resourceType: true, resourceId: true},
    });
    const byKind = new Map<ShareableKind, Set<string>>(kinds.map(kind => [kind, new Set()]));
    for (const grant of grants) byKind.get(grant.resourceType)?.add(grant.resourceId);
    return new Map([...byKind].map(([kind, ids]) => [kind, [...ids]]));
  }
}

function holds(caller: Caller, groupIds: string[], grant: Plain<Grant>): boolean {
  switch (grant.entityType) {
    case 'user':
      return grant.entity === caller.email;
    case 'group':
      return groupIds.includes(grant.entity);
    case 'org':
      return grant.entity === caller.organisation.toLowerCase();
  }
}
