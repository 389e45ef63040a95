import {model, property} from '@loopback/repository';
import {NAME_PATTERN} from '../validation';
import {MountedResource} from './mounted-resource.model';

/** A folder of data under DATASETS_ROOT, named by the dataset's id; servers mount it by name. */
@model({settings: {strict: true, strictObjectIDCoercion: true}})
export class Dataset extends MountedResource {
  @property({type: 'string', required: true, jsonSchema: {pattern: NAME_PATTERN}})
  name: string;

  constructor(data?: Partial<Dataset>) {
    super(data);
  }
}
