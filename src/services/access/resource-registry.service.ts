import {BindingScope, ContextView, filterByTag, inject, injectable} from '@loopback/core';
import type {ResourceDescriptor} from '../../descriptors/resource-descriptor';
import {ResourceBindings} from '../../keys';
import type {ResourceKind} from '../access.service';

/** The registered resource kinds, by kind: everything that decides access reads them here. */
@injectable({scope: BindingScope.SINGLETON})
export class ResourceRegistryService {
  private byKind?: Map<ResourceKind, ResourceDescriptor>;

  constructor(
    @inject.view(filterByTag(ResourceBindings.DESCRIPTOR_TAG))
    private readonly descriptors: ContextView<ResourceDescriptor>,
  ) {}

  async descriptor(kind: ResourceKind): Promise<ResourceDescriptor> {
    // Descriptors are bound once at start-up; the map is built on first use.
    this.byKind ??= new Map((await this.descriptors.values()).map(d => [d.kind, d]));
    const found = this.byKind.get(kind);
    if (!found) throw new Error(`No descriptor is registered for the resource kind ${kind}`);
    return found;
  }
}
