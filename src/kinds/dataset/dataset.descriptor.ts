import type {ShareableDescriptor} from '../../types/resource-descriptor';

export const DATASET_DESCRIPTOR: ShareableDescriptor = {
  kind: 'dataset',
  basePath: '/datasets',
  tagDescription: 'Folders of data mounted into servers, shared with users, groups and organisations',
  repository: 'repositories.DatasetRepository',
  ownerField: 'owner',
  fieldLevels: {owner: 'owner', write_access: 'owner'},
};
