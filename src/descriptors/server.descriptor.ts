import type {ShareableDescriptor} from './resource-descriptor';

export const SERVER_DESCRIPTOR: ShareableDescriptor = {
  kind: 'server',
  basePath: '/servers',
  repository: 'repositories.ServerRepository',
  ownerField: 'owner',
  fieldLevels: {},
};
