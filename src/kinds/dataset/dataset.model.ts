import {model, property} from '@loopback/repository';
import {NAME_PATTERN} from '../../validation';
import {MountedResource} from '../../models/mounted-resource.model';

/** A folder of data under DATASETS_ROOT, named by the dataset's id; servers mount it by name. */
@model({
  settings: {
    strict: true,
    strictObjectIDCoercion: true,
    // The list's: live datasets of an owner, and all live ones, in its order (name, then id).
    indexes: {
      listByOwner: {keys: {owner: 1, deletedAt: 1, name: 1, _id: 1}},
      listAll: {keys: {deletedAt: 1, name: 1, _id: 1}},
    },
  },
})
export class Dataset extends MountedResource {
  @property({type: 'string', required: true, jsonSchema: {pattern: NAME_PATTERN}})
  name: string;

  constructor(data?: Partial<Dataset>) {
    super(data);
  }
}
