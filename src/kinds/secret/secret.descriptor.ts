import type {ShareableDescriptor} from '../../types/resource-descriptor';

export const SECRET_DESCRIPTOR: ShareableDescriptor = {
  kind: 'secret',
  basePath: '/secrets',
  tagDescription: 'Values kept in the secret store (Vault) and handed only to starting servers',
  repository: 'repositories.SecretRepository',
  ownerField: 'owner',
  fieldLevels: {owner: 'owner'},
  // Secrets keep their paths of the API's first version, which clients call: /secret/{id}, and sharing at /secret/share/{id}.
  sharingPaths: {access: '/secret/{id}/access', share: '/secret/share/{id}', revoke: '/secret/{id}/revoke'},
};
