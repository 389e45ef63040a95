import type {ShareableDescriptor} from '../../types/resource-descriptor';

export const TEMPLATE_DESCRIPTOR: ShareableDescriptor = {
  kind: 'template',
  basePath: '/templates',
  tagDescription: 'What a server is launched with: application, hardware, datasets, modules and secrets; public ones are readable by all',
  repository: 'repositories.TemplateRepository',
  // Templates name their owner `creator`, as the API always has (clients read it).
  ownerField: 'creator',
  readableByAllFlag: 'public',
  fieldLevels: {public: 'owner', type: 'admin'},
};
