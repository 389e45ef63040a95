import {Entity, model, property} from '@loopback/repository';
import {DESCRIPTION_MAX_LENGTH, EMAIL_PATTERN} from '../validation';

/**
 * What datasets and modules share: an owner, a folder that servers mount
 * (writable or not), and a stay in the trash before they are purged.
 */
@model({settings: {strict: true, strictObjectIDCoercion: true}})
export class MountedResource extends Entity {
  @property({type: 'string', id: true, defaultFn: 'uuidv4'})
  _id?: string;

  @property({type: 'string', jsonSchema: {maxLength: DESCRIPTION_MAX_LENGTH}})
  description?: string;

  @property({
    type: 'string',
    description: 'Email of the owner: the caller, or whom an admin names',
    jsonSchema: {pattern: EMAIL_PATTERN},
  })
  owner?: string;

  @property({type: 'boolean', default: false, description: 'Whether servers mount it writable'})
  write_access?: boolean;

  @property({type: 'date', description: 'When it went to the trash; absent while live'})
  deletedAt?: Date;
}
