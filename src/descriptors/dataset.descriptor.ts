import type {ResourceDescriptor} from './resource-descriptor';

export const DATASET_DESCRIPTOR: ResourceDescriptor = {
  kind: 'dataset',
  repository: 'repositories.DatasetRepository',
  ownerField: 'owner',
  fieldLevels: {owner: 'owner', write_access: 'owner'},
};
