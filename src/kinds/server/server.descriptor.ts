import type {ShareableDescriptor} from '../../types/resource-descriptor';

export const SERVER_DESCRIPTOR: ShareableDescriptor = {
  kind: 'server',
  basePath: '/servers',
  tagDescription: 'JupyterHub named servers launched from templates: start, stop, progress, sharing',
  repository: 'repositories.ServerRepository',
  ownerField: 'owner',
  fieldLevels: {},
};
