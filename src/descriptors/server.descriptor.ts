import type {ResourceDescriptor} from './resource-descriptor';

export const SERVER_DESCRIPTOR: ResourceDescriptor = {
  kind: 'server',
  repository: 'repositories.ServerRepository',
  ownerField: 'owner',
  fieldLevels: {},
};
