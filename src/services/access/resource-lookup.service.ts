import {BindingScope, Context, inject, injectable, service} from '@loopback/core';
import {Entity} from '@loopback/repository';
import type {PlainCrudRepository} from '../../repositories/plain-crud.repository';
import type {OwnedResource, ResourceKind} from './access.service';
import {ResourceRegistryService} from './resource-registry.service';

type Lookup = PlainCrudRepository<Entity & OwnedResource & {deletedAt?: Date; state?: string}, string>;

/**
 * Finds a live resource of any registered kind by id, through the
 * repository its descriptor names. Trashed ones, and secrets half-written
 * or half-deleted, count as gone; the owner is under `owner` whatever the
 * kind calls it.
 */
@injectable({scope: BindingScope.SINGLETON})
export class ResourceLookupService {
  /** Resolved once per kind: repositories are bound transient, and the lookup is on every authorized request. */
  private readonly repositories = new Map<ResourceKind, Lookup>();

  constructor(
    @inject.context() private readonly context: Context,
    @service(ResourceRegistryService) private readonly registry: ResourceRegistryService,
  ) {}

  async find(kind: ResourceKind, id: string): Promise<OwnedResource | undefined> {
    const descriptor = await this.registry.descriptor(kind);
    let lookup = this.repositories.get(kind);
    if (!lookup) {
      lookup = await this.context.get<Lookup>(descriptor.repository);
      this.repositories.set(kind, lookup);
    }
    // By id: the embedded store reads the one row, MongoDB its _id index. Hidden
    // properties are kept: a secret's state decides whether it is live.
    const [found] = await lookup.findPlain({where: {_id: id}}, {withHidden: true});
    const live = found && !found.deletedAt && (found.state === undefined || found.state === 'ready');
    if (!found || !live) return undefined;
    if (descriptor.ownerField === 'owner') return found;
    return {...found, owner: (found as Record<string, unknown>)[descriptor.ownerField] as string | undefined};
  }
}
