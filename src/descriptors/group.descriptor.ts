import type {ResourceDescriptor} from './resource-descriptor';

export const GROUP_DESCRIPTOR: ResourceDescriptor = {
  kind: 'group',
  basePath: '/groups',
  repository: 'repositories.GroupRepository',
  ownerField: 'owner',
  fieldLevels: {owner: 'owner'},
};
