import {BindingScope, injectable} from '@loopback/core';
import {DefaultCrudRepository, Entity, repository} from '@loopback/repository';
import {findPlain} from '../repositories/plain-find';
import {DatasetRepository} from '../repositories/dataset.repository';
import {GroupRepository} from '../repositories/group.repository';
import {ModuleRepository} from '../repositories/module.repository';
import {SecretRepository} from '../repositories/secret.repository';
import {ServerRepository} from '../repositories/server.repository';
import {TemplateRepository} from '../repositories/template.repository';
import type {OwnedResource, ResourceKind} from './access.service';

type Lookup = DefaultCrudRepository<Entity & OwnedResource & {deletedAt?: Date; state?: string}, string>;

/**
 * Finds a live resource of any kind by id, for the authorizer. Trashed ones,
 * and secrets half-written or half-deleted, count as gone.
 */
@injectable({scope: BindingScope.SINGLETON})
export class ResourceLookupService {
  private readonly repositories: Partial<Record<ResourceKind, Lookup>>;

  constructor(
    @repository(DatasetRepository) datasets: DatasetRepository,
    @repository(ModuleRepository) modules: ModuleRepository,
    @repository(GroupRepository) groups: GroupRepository,
    @repository(TemplateRepository) templates: TemplateRepository,
    @repository(ServerRepository) servers: ServerRepository,
    @repository(SecretRepository) secrets: SecretRepository,
  ) {
    this.repositories = {
      dataset: datasets as unknown as Lookup,
      module: modules as unknown as Lookup,
      group: groups as unknown as Lookup,
      template: templates as unknown as Lookup,
      server: servers as unknown as Lookup,
      secret: secrets as unknown as Lookup,
    };
  }

  async find(kind: ResourceKind, id: string): Promise<OwnedResource | undefined> {
    const lookup = this.repositories[kind];
    if (!lookup) throw new Error(`No repository is registered for ${kind}`);
    // By id: the embedded store reads the one row, MongoDB its _id index. Hidden
    // properties are kept: a secret's state decides whether it is live.
    const [found] = await findPlain(lookup, {where: {_id: id}}, {withHidden: true});
    const live = found && !found.deletedAt && (found.state === undefined || found.state === 'ready');
    if (!found || !live) return undefined;
    // Templates name their owner `creator`.
    const creator = (found as {creator?: string}).creator;
    return creator === undefined ? found : {...found, owner: creator};
  }
}
