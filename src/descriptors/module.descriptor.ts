import type {ShareableDescriptor} from './resource-descriptor';

export const MODULE_DESCRIPTOR: ShareableDescriptor = {
  kind: 'module',
  basePath: '/modules',
  repository: 'repositories.ModuleRepository',
  ownerField: 'owner',
  readableByAllFlag: 'featured',
  fieldLevels: {owner: 'owner', write_access: 'owner', featured: 'admin'},
  // A featured module's modulefile runs in every loader's shell.
  readableByAllNeedsOwnerToWrite: true,
};
