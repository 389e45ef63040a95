import type {ShareableDescriptor} from './resource-descriptor';

export const TEMPLATE_DESCRIPTOR: ShareableDescriptor = {
  kind: 'template',
  basePath: '/templates',
  repository: 'repositories.TemplateRepository',
  // Templates name their owner `creator`, as the API always has (clients read it).
  ownerField: 'creator',
  readableByAllFlag: 'public',
  fieldLevels: {public: 'owner', type: 'admin'},
};
