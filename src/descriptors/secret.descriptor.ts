import type {ShareableDescriptor} from './resource-descriptor';

export const SECRET_DESCRIPTOR: ShareableDescriptor = {
  kind: 'secret',
  repository: 'repositories.SecretRepository',
  ownerField: 'owner',
  fieldLevels: {owner: 'owner'},
  // The seed's paths: sharing is /secret/share/{id}, the others /secret/{id}/...
  sharingPaths: {access: '/secret/{id}/access', share: '/secret/share/{id}', revoke: '/secret/{id}/revoke'},
};
