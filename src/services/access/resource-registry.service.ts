import {BindingScope, Context, inject, injectable} from '@loopback/core';
import type {ResourceDescriptor} from '../../types/resource-descriptor';
import {ResourceBindings} from '../../keys';
import type {ResourceKind} from '../../types/resource-access';

/** The registered resource kinds, by kind: everything that decides access reads them here. */
@injectable({scope: BindingScope.SINGLETON})
export class ResourceRegistryService {
  private byKind?: Promise<Map<ResourceKind, ResourceDescriptor>>;

  constructor(@inject.context() private readonly context: Context) {}

  async descriptor(kind: ResourceKind): Promise<ResourceDescriptor> {
    // Descriptors are bound once at start-up, so they are read once, on first use;
    // a live view would be told of every binding of every request.
    this.byKind ??= this.load();
    const found = (await this.byKind).get(kind);
    if (!found) throw new Error(`No descriptor is registered for the resource kind ${kind}`);
    return found;
  }

  private async load(): Promise<Map<ResourceKind, ResourceDescriptor>> {
    const bindings = this.context.findByTag(ResourceBindings.DESCRIPTOR_TAG);
    const descriptors = await Promise.all(bindings.map(binding => this.context.get<ResourceDescriptor>(binding.key)));
    return new Map(descriptors.map(d => [d.kind, d]));
  }
}
