import {BindingScope, injectable} from '@loopback/core';
import {repository, Where} from '@loopback/repository';
import {Grant, ShareableKind} from '../models/grant.model';
import {Group} from '../models/group.model';
import {GrantRepository} from '../repositories/grant.repository';
import {GroupRepository} from '../repositories/group.repository';
import {findPlain, Plain} from '../repositories/plain-find';
import type {Caller} from './identity.service';

export const ACCESS_LEVELS = ['none', 'read', 'write', 'owner'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];
/** Everything access is decided on: the shareable kinds and groups. */
export type ResourceKind = ShareableKind | 'group';

export interface OwnedResource {
  _id?: string;
  owner?: string;
  /** Templates: readable by every signed-in user. */
  public?: boolean;
  /** Modules: curated by admins, readable by every signed-in user. */
  featured?: boolean;
  /** Groups: the members' emails. */
  members?: string[];
}

export function atLeast(level: AccessLevel, required: AccessLevel): boolean {
  return ACCESS_LEVELS.indexOf(level) >= ACCESS_LEVELS.indexOf(required);
}

function higher(a: AccessLevel, b: AccessLevel): AccessLevel {
  return atLeast(a, b) ? a : b;
}

/**
 * The one place that decides who may do what (spec section 2). A caller
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
  ) {}

  async levelOf(caller: Caller, kind: ResourceKind, resource: OwnedResource): Promise<AccessLevel> {
    if (caller.admin || resource.owner === caller.email) return 'owner';
    if (kind === 'group') {
      return resource.members?.includes(caller.email) ? 'read' : 'none';
    }
    let level: AccessLevel = publiclyReadable(kind, resource) ? 'read' : 'none';
    const grants = await findPlain(this.grants, {
      where: {resourceType: kind, resourceId: resource._id},
    });
    if (grants.length === 0) return level;
    const groupIds = grants.some(g => g.entityType === 'group')
      ? await this.groupIdsOf(caller.email)
      : [];
    for (const grant of grants) {
      if (holds(caller, groupIds, grant)) level = higher(level, grant.relation);
    }
    return level;
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
    const ids = await this.grantedIds(caller, kind);
    const or: object[] = [{[ownerField(kind)]: caller.email}];
    if (ids.length > 0) or.push({_id: {inq: ids}});
    if (kind === 'template') or.push({public: true});
    if (kind === 'module') or.push({featured: true});
    return {or} as Where<T>;
  }

  async groupIdsOf(email: string): Promise<string[]> {
    // Both connectors match an array property holding the value.
    const groups = await findPlain(this.groups, {
      where: {members: email} as Where<Group>,
      fields: {_id: true},
    });
    return groups.map(g => g._id!);
  }

  private async grantedIds(caller: Caller, kind: ShareableKind): Promise<string[]> {
    const groupIds = await this.groupIdsOf(caller.email);
    const entities: object[] = [
      {entityType: 'user', entity: caller.email},
      {entityType: 'org', entity: caller.organisation},
    ];
    if (groupIds.length > 0) entities.push({entityType: 'group', entity: {inq: groupIds}});
    const grants = await findPlain(this.grants, {
      where: {and: [{resourceType: kind}, {or: entities}]} as Where<Grant>,
      fields: {resourceId: true},
    });
    return [...new Set(grants.map(g => g.resourceId))];
  }
}

/** Templates name their owner `creator` (the seed's field); everything else `owner`. */
export function ownerField(kind: ResourceKind): 'owner' | 'creator' {
  return kind === 'template' ? 'creator' : 'owner';
}

function publiclyReadable(kind: ResourceKind, resource: OwnedResource): boolean {
  return (kind === 'template' && resource.public === true) ||
    (kind === 'module' && resource.featured === true);
}

function holds(caller: Caller, groupIds: string[], grant: Plain<Grant>): boolean {
  switch (grant.entityType) {
    case 'user':
      return grant.entity === caller.email;
    case 'group':
      return groupIds.includes(grant.entity);
    case 'org':
      return grant.entity === caller.organisation;
  }
}
