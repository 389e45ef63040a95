import type {ResourceDescriptor} from '../../types/resource-descriptor';

export const GROUP_DESCRIPTOR: ResourceDescriptor = {
  kind: 'group',
  basePath: '/groups',
  tagDescription: 'People to share with at once',
  repository: 'repositories.GroupRepository',
  ownerField: 'owner',
  fieldLevels: {owner: 'owner'},
};
