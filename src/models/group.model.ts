import {Entity, model, property} from '@loopback/repository';
import {EMAIL_PATTERN, NAME_PATTERN} from '../validation';

/**
 * People named by email, owned by one of them; grants to the group reach
 * every member. Names are unique per owner whatever their case: the store
 * holds that on nameKey, the name as compared, kept out of answers.
 */
@model({
  settings: {
    strict: true,
    strictObjectIDCoercion: true,
    hiddenProperties: ['nameKey'],
    indexes: {
      uniqueName: {keys: {owner: 1, nameKey: 1}, options: {unique: true}},
      // The list's: groups of an owner, groups of a member (also whose grants reach a caller), all, in its order (name, then id).
      listByOwner: {keys: {owner: 1, name: 1, _id: 1}},
      listByMember: {keys: {members: 1, name: 1, _id: 1}},
      listAll: {keys: {name: 1, _id: 1}},
    },
  },
})
export class Group extends Entity {
  @property({type: 'string', id: true, defaultFn: 'uuidv4'})
  _id?: string;

  @property({type: 'string', required: true, jsonSchema: {pattern: NAME_PATTERN}})
  name: string;

  /** The name lower-cased, set by the group service with every name. */
  @property({type: 'string'})
  nameKey?: string;

  @property({type: 'string', description: 'Email of the owner, set by the server'})
  owner: string;

  @property({type: 'any', jsonSchema: {type: 'array', items: {type: 'string', pattern: EMAIL_PATTERN}}})
  members: string[];

  @property({type: 'date'})
  createdAt?: Date;

  constructor(data?: Partial<Group>) {
    super(data);
  }
}
