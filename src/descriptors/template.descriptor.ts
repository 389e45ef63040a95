import type {ShareableDescriptor} from './resource-descriptor';

export const TEMPLATE_DESCRIPTOR: ShareableDescriptor = {
  kind: 'template',
  repository: 'repositories.TemplateRepository',
  // The seed's field.
  ownerField: 'creator',
  readableByAllFlag: 'public',
  fieldLevels: {public: 'owner', type: 'admin'},
  sharingPaths: {access: '/templates/{id}/access', share: '/templates/{id}/share', revoke: '/templates/{id}/revoke'},
};
