import type {ShareableDescriptor} from './resource-descriptor';

export const DATASET_DESCRIPTOR: ShareableDescriptor = {
  kind: 'dataset',
  repository: 'repositories.DatasetRepository',
  ownerField: 'owner',
  fieldLevels: {owner: 'owner', write_access: 'owner'},
  sharingPaths: {access: '/datasets/{id}/access', share: '/datasets/{id}/share', revoke: '/datasets/{id}/revoke'},
};
