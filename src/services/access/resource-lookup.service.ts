import {BindingScope, Context, inject, injectable, service} from '@loopback/core';
import {Entity} from '@loopback/repository';
import type {Plain} from '../../models/plain';
import type {PlainCrudRepository} from '../../repositories/plain-crud.repository';
import {visiblePart} from '../../framework/plain-find';
import type {FoundResource, OwnedResource, ResourceKind} from '../../types/resource-access';
import {ResourceRegistryService} from './resource-registry.service';

type Row = Entity & OwnedResource & {deletedAt?: Date; state?: string};
type Lookup = PlainCrudRepository<Row, string>;

/**
 * Finds a live resource of any registered kind by id, through the
 * repository its descriptor names. Trashed ones, and secrets half-written
 * or half-deleted, count as gone.
 */
@injectable({scope: BindingScope.SINGLETON})
export class ResourceLookupService {
  /** Resolved once per kind: repositories are bound transient, and the lookup is on every authorized request. */
  private readonly repositories = new Map<ResourceKind, Lookup>();

  constructor(
    @inject.context() private readonly context: Context,
    @service(ResourceRegistryService) private readonly registry: ResourceRegistryService,
  ) {}

  async find<T extends Entity = Entity>(kind: ResourceKind, id: string): Promise<FoundResource<T> | undefined> {
    const descriptor = await this.registry.descriptor(kind);
    const lookup = await this.repositoryOf(kind);
    // By id: the embedded store reads the one row, MongoDB its _id index. Hidden
    // properties are read too: a secret's state decides whether it is live.
    const [found] = await lookup.findPlain({where: {_id: id}}, {withHidden: true});
    if (!found || !isLive(found)) return undefined;
    const record = visiblePart(lookup, found) as unknown as Plain<T>;
    if (descriptor.ownerField === 'owner') return {subject: found, record};
    const owner = (found as Record<string, unknown>)[descriptor.ownerField] as string | undefined;
    return {subject: {...found, owner}, record};
  }

  /** Which of `ids` name live resources of the kind that also match `where`: one query, whatever the number of ids. */
  async liveIdsAmong(kind: ResourceKind, ids: readonly string[], where: object = {}): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const lookup = await this.repositoryOf(kind);
    const byId = {_id: {inq: [...ids]}};
    const rows = await lookup.findPlain({where: Object.keys(where).length > 0 ? {and: [byId, where]} : byId} as object, {withHidden: true});
    return new Set(rows.filter(isLive).map(row => row._id!));
  }

  private async repositoryOf(kind: ResourceKind): Promise<Lookup> {
    let lookup = this.repositories.get(kind);
    if (!lookup) {
      lookup = await this.context.get<Lookup>((await this.registry.descriptor(kind)).repository);
      this.repositories.set(kind, lookup);
    }
    return lookup;
  }
}

/** Trashed resources, and secrets half-written or half-deleted, count as gone. */
function isLive(row: Plain<Row>): boolean {
  return !row.deletedAt && (row.state === undefined || row.state === 'ready');
}
