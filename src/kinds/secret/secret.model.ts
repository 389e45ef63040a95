import {Entity, model, property} from '@loopback/repository';
import {DESCRIPTION_MAX_LENGTH, NAME_PATTERN} from '../../validation';

export const SECRET_TYPES = ['env_var', 'raw'] as const;
export type SecretType = (typeof SECRET_TYPES)[number];

/**
 * A secret's metadata. Its value lives only in the secret store, at
 * `secret_path`; `state` is `ready` once both exist (`pending` while being
 * written, `deleting` while being removed: such records are hidden and
 * cleaned up if the API stopped half-way).
 */
@model({
  settings: {
    strict: true,
    strictObjectIDCoercion: true,
    hiddenProperties: ['state'],
    // The list's: ready secrets of an owner, and all ready ones, in its order (name, then id).
    indexes: {
      listByOwner: {keys: {owner: 1, state: 1, secretName: 1, _id: 1}},
      listAll: {keys: {state: 1, secretName: 1, _id: 1}},
    },
  },
})
export class Secret extends Entity {
  @property({type: 'string', id: true, defaultFn: 'uuidv4'})
  _id?: string;

  @property({type: 'string', required: true, jsonSchema: {pattern: NAME_PATTERN}})
  secretName: string;

  @property({
    type: 'string',
    required: true,
    jsonSchema: {enum: [...SECRET_TYPES]},
    description: '`env_var`: key/value pairs exported as environment variables; `raw`: file content written into ~/.secrets, at mount_path when given',
  })
  type: SecretType;

  @property({type: 'string', jsonSchema: {maxLength: DESCRIPTION_MAX_LENGTH}})
  description?: string;

  // The pattern is the request bodies' (SECRET_PATH_PATTERN): secrets written before it may hold an absolute path, and are still answered.
  @property({
    type: 'string',
    description:
      'raw only: where a server puts the file, relative to the person\'s secrets folder ~/.secrets, e.g. aws/credentials ' +
      '(no leading /, no . or .. segment). Secrets stored while mount paths were absolute answer theirs as they are.',
    jsonSchema: {maxLength: 1024},
  })
  mount_path?: string;

  @property({type: 'string', description: 'Email of the owner (set by the server)'})
  owner?: string;

  @property({type: 'string', description: 'The store holding the value: vault or local (set by the server)'})
  engine?: string;

  @property({type: 'string', description: 'Path to the secret in the store (set by the server)'})
  secret_path?: string;

  @property({type: 'string', jsonSchema: {enum: ['pending', 'ready', 'deleting']}})
  state?: 'pending' | 'ready' | 'deleting';

  @property({type: 'date'})
  createdAt?: Date;

  constructor(data?: Partial<Secret>) {
    super(data);
  }
}
