import {inject, injectable} from '@loopback/core';
import {asSpecEnhancer, OASEnhancer, OpenApiSpec, OperationObject} from '@loopback/rest';
import {ResourceBindings} from '../keys';
import {namesOf, ResourceDescriptor} from '../types/resource-descriptor';

/** What each tag of the API groups, in the order the explorer shows them; each resource kind's, between these, from its descriptor. */
const TAGS_BEFORE_KINDS: Record<string, string> = {
  'Sign-in': 'Signing in through the institution\'s OpenID provider (code flow with PKCE), refreshing and signing out',
  Users: 'Who you are, and your hub user and home',
};
const TAGS_AFTER_KINDS: Record<string, string> = {
  Files: 'Notebooks and files in your home and in datasets: the contents API, trash, checkpoints, uploads, the ELN\'s writes',
  Spawner: 'The hub\'s spawner redeeming a starting server\'s launch ticket (SPAWNER_TOKEN)',
  Health: 'Version and health checks',
};

/** Lists the tags the operations use, each with what it groups. */
@injectable(asSpecEnhancer)
export class TagDescriptionsSpecEnhancer implements OASEnhancer {
  readonly name = 'tag-descriptions';

  constructor(@inject.tag(ResourceBindings.DESCRIPTOR_TAG) private readonly kinds: ResourceDescriptor[]) {}

  modifySpec(spec: OpenApiSpec): OpenApiSpec {
    const descriptions: Record<string, string> = {
      ...TAGS_BEFORE_KINDS,
      ...Object.fromEntries(this.kinds.map(kind => [namesOf(kind).tag, kind.tagDescription])),
      ...TAGS_AFTER_KINDS,
    };
    const used = new Set(
      Object.values(spec.paths).flatMap(item => (Object.values(item) as OperationObject[]).flatMap(operation => operation.tags ?? [])),
    );
    const unknown = [...used].filter(tag => !(tag in descriptions));
    if (unknown.length > 0) throw new Error(`Tags without a description: ${unknown.join(', ')}`);
    spec.tags = Object.entries(descriptions)
      .filter(([name]) => used.has(name))
      .map(([name, description]) => ({name, description}));
    return spec;
  }
}
