import {Entity, model, property} from '@loopback/repository';
import {DESCRIPTION_MAX_LENGTH, EMAIL_PATTERN, NAME_PATTERN} from '../validation';

/** A folder of data under DATASETS_ROOT, named by the dataset's id; servers mount it by name. */
@model({settings: {strict: true, strictObjectIDCoercion: true}})
export class Dataset extends Entity {
  @property({type: 'string', id: true, defaultFn: 'uuidv4'})
  _id?: string;

  @property({type: 'string', required: true, jsonSchema: {pattern: NAME_PATTERN}})
  name: string;

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

  constructor(data?: Partial<Dataset>) {
    super(data);
  }
}
