import {injectable} from '@loopback/core';
import {asSpecEnhancer, OASEnhancer, OpenApiSpec, OperationObject} from '@loopback/rest';

/** What each tag of the API groups, in the order the explorer shows them. */
const TAG_DESCRIPTIONS: Record<string, string> = {
  'Sign-in': 'Signing in through the institution\'s OpenID provider (code flow with PKCE), refreshing and signing out',
  Users: 'Who you are, and your hub user and home',
  Templates: 'What a server is launched with: application, hardware, datasets, modules and secrets; public ones are readable by all',
  Servers: 'JupyterHub named servers launched from templates: start, stop, progress, sharing',
  Datasets: 'Folders of data mounted into servers, shared with users, groups and organisations',
  Modules: 'Lmod modules (a generated modulefile and a binaries folder) loaded into servers',
  Secrets: 'Values kept in the secret store (Vault) and handed only to starting servers',
  Groups: 'People to share with at once',
  Files: 'Notebooks and files in your home and in datasets: the contents API, trash, checkpoints, uploads, the ELN\'s writes',
  Spawner: 'The hub\'s spawner redeeming a starting server\'s launch ticket (SPAWNER_TOKEN)',
  Health: 'Version and health checks',
};

/** Lists the tags the operations use, each with what it groups. */
@injectable(asSpecEnhancer)
export class TagDescriptionsSpecEnhancer implements OASEnhancer {
  readonly name = 'tag-descriptions';

  modifySpec(spec: OpenApiSpec): OpenApiSpec {
    const used = new Set(
      Object.values(spec.paths).flatMap(item => (Object.values(item) as OperationObject[]).flatMap(operation => operation.tags ?? [])),
    );
    const unknown = [...used].filter(tag => !(tag in TAG_DESCRIPTIONS));
    if (unknown.length > 0) throw new Error(`Tags without a description: ${unknown.join(', ')}`);
    spec.tags = Object.entries(TAG_DESCRIPTIONS)
      .filter(([name]) => used.has(name))
      .map(([name, description]) => ({name, description}));
    return spec;
  }
}
