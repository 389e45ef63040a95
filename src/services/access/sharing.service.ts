import {BindingScope, injectable} from '@loopback/core';
import {repository} from '@loopback/repository';
import {HttpErrors, SchemaObject} from '@loopback/rest';
import {EntityType, Grant, RELATIONS, Relation, ShareableKind} from '../../models/grant.model';
import {GrantRepository} from '../../repositories/grant.repository';
import {GroupRepository} from '../../repositories/group.repository';
import {normaliseEmail} from '../../validation';
import type {OwnedResource} from '../../types/resource-access';

export interface ShareRequest {
  relation: Relation;
  userArray?: string[];
  groupArray?: string[];
  orgArray?: string[];
}

type GrantTuple = Pick<Grant, 'resourceType' | 'resourceId' | 'relation' | 'entityType' | 'entity'>;

export interface AccessEntry {
  entity: string;
  access: 'read' | 'write' | 'owner';
}

const ENTITY_LIST = (description: string): SchemaObject => ({
  type: 'array',
  maxItems: 100,
  items: {type: 'string', minLength: 1, maxLength: 254},
  description,
});

/** Body of every POST /{kind}/{id}/share and /revoke. */
export const SHARE_REQUEST_SCHEMA: SchemaObject = {
  title: 'ShareRequest',
  type: 'object',
  required: ['relation'],
  additionalProperties: false,
  properties: {
    relation: {type: 'string', enum: [...RELATIONS]},
    userArray: ENTITY_LIST('Emails of users'),
    groupArray: ENTITY_LIST('Ids of groups'),
    orgArray: ENTITY_LIST('Names of organisations'),
  },
};

export const ACCESS_LIST_SCHEMA: SchemaObject = {
  type: 'array',
  items: {
    title: 'AccessEntry',
    type: 'object',
    required: ['entity', 'access'],
    properties: {
      entity: {type: 'string', description: 'An email, a group id or an organisation name'},
      access: {type: 'string', enum: ['read', 'write', 'owner']},
    },
  },
};

/** Grants and revokes relation tuples, and lists who holds what on a resource. */
@injectable({scope: BindingScope.SINGLETON})
export class SharingService {
  constructor(
    @repository(GrantRepository) private readonly grants: GrantRepository,
    @repository(GroupRepository) private readonly groups: GroupRepository,
  ) {}

  async share(kind: ShareableKind, resourceId: string, request: ShareRequest): Promise<void> {
    const wanted = await this.tuples(kind, resourceId, request);
    const existing = await this.grants.find({where: {resourceType: kind, resourceId}});
    const key = (g: GrantTuple) =>
      `${g.relation}\u0000${g.entityType}\u0000${g.entity}`;
    const held = new Set(existing.map(key));
    const missing = wanted.filter(g => !held.has(key(g)));
    if (missing.length > 0) await this.grants.createAll(missing);
  }

  async revoke(kind: ShareableKind, resourceId: string, request: ShareRequest): Promise<void> {
    const tuples = await this.tuples(kind, resourceId, request, false);
    for (const tuple of tuples) {
      await this.grants.deleteAll({
        resourceType: kind,
        resourceId,
        relation: tuple.relation,
        entityType: tuple.entityType,
        entity: tuple.entity,
      });
    }
  }

  /** `[{entity, access}]` of one entity type, the owner first when users are asked for. */
  async accessList(kind: ShareableKind, resource: OwnedResource, type: EntityType): Promise<AccessEntry[]> {
    const grants = await this.grants.find({
      where: {resourceType: kind, resourceId: resource._id, entityType: type},
    });
    const best = new Map<string, 'read' | 'write'>();
    for (const grant of grants) {
      if (best.get(grant.entity) !== 'write') best.set(grant.entity, grant.relation);
    }
    const entries: AccessEntry[] = [];
    if (type === 'user' && resource.owner) {
      entries.push({entity: resource.owner, access: 'owner'});
      best.delete(resource.owner);
    }
    for (const [entity, access] of [...best].sort(([a], [b]) => a.localeCompare(b))) {
      entries.push({entity, access});
    }
    return entries;
  }

  /** Users, then groups, then organisations. */
  async everyone(kind: ShareableKind, resource: OwnedResource): Promise<AccessEntry[]> {
    const lists = await Promise.all(
      (['user', 'group', 'org'] as const).map(type => this.accessList(kind, resource, type)),
    );
    return lists.flat();
  }

  /** Every grant on a resource goes with it (purge from the trash). */
  async forget(kind: ShareableKind, resourceId: string): Promise<void> {
    await this.grants.deleteAll({resourceType: kind, resourceId});
  }

  /** Grants to a deleted group would reach nobody; they go with it. */
  async forgetGroup(groupId: string): Promise<void> {
    await this.grants.deleteAll({entityType: 'group', entity: groupId});
  }

  private async tuples(
    kind: ShareableKind,
    resourceId: string,
    request: ShareRequest,
    groupsMustExist = true,
  ): Promise<GrantTuple[]> {
    const users = (request.userArray ?? []).map(value => {
      const email = normaliseEmail(value);
      if (!email) throw new HttpErrors.BadRequest(`userArray holds "${value}", which is not an email`);
      return email;
    });
    const groupIds = [...new Set((request.groupArray ?? []).map(id => id.trim()))];
    if (groupsMustExist && groupIds.length > 0) {
      const found = await this.groups.find({where: {_id: {inq: groupIds}}, fields: {_id: true}});
      const known = new Set(found.map(g => g._id));
      const unknown = groupIds.filter(id => !known.has(id));
      if (unknown.length > 0) {
        throw new HttpErrors.BadRequest(`groupArray names unknown groups: ${unknown.join(', ')}`);
      }
    }
    // Organisations match whatever their case: "Example.org" is example.org.
    const orgs = (request.orgArray ?? []).map(org => org.trim().toLowerCase());
    if (orgs.some(org => org === '')) throw new HttpErrors.BadRequest('orgArray holds an empty name');
    if (users.length + groupIds.length + orgs.length === 0) {
      throw new HttpErrors.BadRequest('Name at least one entity in userArray, groupArray or orgArray');
    }
    const entities: Array<[EntityType, string[]]> = [
      ['user', [...new Set(users)]],
      ['group', groupIds],
      ['org', [...new Set(orgs)]],
    ];
    return entities.flatMap(([entityType, names]) =>
      names.map(entity => ({resourceType: kind, resourceId, relation: request.relation, entityType, entity})),
    );
  }
}
