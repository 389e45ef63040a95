import type {ShareableDescriptor} from './resource-descriptor';

export const DATASET_DESCRIPTOR: ShareableDescriptor = {
  kind: 'dataset',
  basePath: '/datasets',
  repository: 'repositories.DatasetRepository',
  ownerField: 'owner',
  fieldLevels: {owner: 'owner', write_access: 'owner'},
};
