import type {ResourceDescriptor} from './resource-descriptor';

export const TEMPLATE_DESCRIPTOR: ResourceDescriptor = {
  kind: 'template',
  repository: 'repositories.TemplateRepository',
  // The seed's field.
  ownerField: 'creator',
  readableByAllFlag: 'public',
  fieldLevels: {public: 'owner', type: 'admin'},
};
