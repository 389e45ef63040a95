import type {ResourceDescriptor} from './resource-descriptor';

export const SECRET_DESCRIPTOR: ResourceDescriptor = {
  kind: 'secret',
  repository: 'repositories.SecretRepository',
  ownerField: 'owner',
  fieldLevels: {owner: 'owner'},
};
