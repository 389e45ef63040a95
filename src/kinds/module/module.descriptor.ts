import type {ShareableDescriptor} from '../../types/resource-descriptor';

export const MODULE_DESCRIPTOR: ShareableDescriptor = {
  kind: 'module',
  basePath: '/modules',
  tagDescription: 'Lmod modules (a generated modulefile and a binaries folder) loaded into servers',
  repository: 'repositories.ModuleRepository',
  ownerField: 'owner',
  readableByAllFlag: 'featured',
  fieldLevels: {owner: 'owner', write_access: 'owner', featured: 'admin'},
  // A featured module's modulefile runs in every loader's shell.
  readableByAllNeedsOwnerToWrite: true,
};
