import {Entity, model, property} from '@loopback/repository';

export const SHAREABLE_KINDS = ['dataset', 'module', 'secret', 'template', 'server'] as const;
export type ShareableKind = (typeof SHAREABLE_KINDS)[number];
export const RELATIONS = ['read', 'write'] as const;
export type Relation = (typeof RELATIONS)[number];
export const ENTITY_TYPES = ['user', 'group', 'org'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/**
 * One relation tuple (resource, relation, entity): the entity (a user's
 * email, a group's id or an organisation's name) holds `relation` on the
 * resource. Owners are not stored as grants: the resource names its owner.
 */
@model({
  settings: {
    strict: true,
    strictObjectIDCoercion: true,
    indexes: {
      byResource: {keys: {resourceType: 1, resourceId: 1}},
      byEntity: {keys: {entityType: 1, entity: 1, resourceType: 1}},
    },
  },
})
export class Grant extends Entity {
  @property({type: 'string', id: true, defaultFn: 'uuidv4'})
  _id?: string;

  @property({type: 'string', required: true, jsonSchema: {enum: [...SHAREABLE_KINDS]}})
  resourceType: ShareableKind;

  @property({type: 'string', required: true})
  resourceId: string;

  @property({type: 'string', required: true, jsonSchema: {enum: [...RELATIONS]}})
  relation: Relation;

  @property({type: 'string', required: true, jsonSchema: {enum: [...ENTITY_TYPES]}})
  entityType: EntityType;

  @property({type: 'string', required: true})
  entity: string;

  constructor(data?: Partial<Grant>) {
    super(data);
  }
}
