import type {ShareableDescriptor} from './resource-descriptor';

export const TEMPLATE_DESCRIPTOR: ShareableDescriptor = {
  kind: 'template',
  basePath: '/templates',
  repository: 'repositories.TemplateRepository',
  // The seed's field.
  ownerField: 'creator',
  readableByAllFlag: 'public',
  fieldLevels: {public: 'owner', type: 'admin'},
};
