import {Entity, model, property} from '@loopback/repository';
import {DESCRIPTION_MAX_LENGTH, NAME_PATTERN} from '../validation';

export const SECRET_TYPES = ['env_var', 'raw'] as const;
export type SecretType = (typeof SECRET_TYPES)[number];

/** An absolute path without `..` segments or control characters. */
export const MOUNT_PATH_PATTERN = '^(?!.*(?:^|/)\\.\\.(?:/|$))/[^\\u0000-\\u001f\\u007f]{0,1023}$';

/**
 * A secret's metadata. Its value lives only in the secret store, at
 * `secret_path`; `state` is `ready` once both exist (`pending` while being
 * written, `deleting` while being removed: such records are hidden and
 * cleaned up if the API stopped half-way).
 */
@model({settings: {strict: true, strictObjectIDCoercion: true, hiddenProperties: ['state']}})
export class Secret extends Entity {
  @property({type: 'string', id: true, defaultFn: 'uuidv4'})
  _id?: string;

  @property({type: 'string', required: true, jsonSchema: {pattern: NAME_PATTERN}})
  secretName: string;

  @property({
    type: 'string',
    required: true,
    jsonSchema: {enum: [...SECRET_TYPES]},
    description: '`env_var`: key/value pairs exported as environment variables; `raw`: file content written at mount_path',
  })
  type: SecretType;

  @property({type: 'string', jsonSchema: {maxLength: DESCRIPTION_MAX_LENGTH}})
  description?: string;

  @property({type: 'string', description: 'Where servers mount a raw secret: an absolute path without ..', jsonSchema: {pattern: MOUNT_PATH_PATTERN}})
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
