import type {ShareableDescriptor} from './resource-descriptor';

export const SERVER_DESCRIPTOR: ShareableDescriptor = {
  kind: 'server',
  repository: 'repositories.ServerRepository',
  ownerField: 'owner',
  fieldLevels: {},
  sharingPaths: {access: '/servers/{id}/access', share: '/servers/{id}/share', revoke: '/servers/{id}/revoke'},
};
