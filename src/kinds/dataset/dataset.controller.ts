import {DATASET_DESCRIPTOR} from './dataset.descriptor';
import {Dataset} from './dataset.model';
import {DatasetService} from './dataset.service';
import {DATASET_ANSWER} from '../answer-examples';
import {defineOwnedResourceController} from '../define-owned-resource-controller';

export class DatasetController extends defineOwnedResourceController(DATASET_DESCRIPTOR, Dataset, DatasetService, {
  list: 'Datasets the caller may read',
  create: 'Creates the dataset and its empty folder under DATASETS_ROOT, named by its id.',
  update: 'The updated dataset (a rename changes metadata only)',
  remove: `Moves the dataset's folder to the trash; an admin can restore it until it is purged (TRASH_RETENTION_DAYS).`,
  examples: {
    create: {name: 'Microscopy 2026', description: 'Raw images of the spring campaign', write_access: false},
    update: {description: 'Raw and calibrated images of the spring campaign'},
    answer: DATASET_ANSWER,
  },
}) {}
