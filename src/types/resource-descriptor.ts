import type {ShareableKind} from '../models/grant.model';
import type {AccessLevel, ResourceKind} from './resource-access';

/**
 * What access rules need to know of one kind of resource. Each kind binds
 * one (tagged ResourceBindings.DESCRIPTOR_TAG); the access rules, the
 * lookup and the authorizer read them and nothing else.
 */
export interface ResourceDescriptor {
  kind: ResourceKind;
  /** Where its collection is, e.g. `/datasets`. */
  basePath: string;
  /** What its tag (named after `basePath`, see namesOf) groups, as the explorer shows it. */
  tagDescription: string;
  /** The binding key of its repository, e.g. `repositories.DatasetRepository`. */
  repository: string;
  /** The property holding the owner's email. */
  ownerField: 'owner' | 'creator';
  /** A flag that makes a resource readable by every signed-in user (public templates, featured modules). */
  readableByAllFlag?: 'public' | 'featured';
  /**
   * Fields whose change needs more than write access: writers change what a
   * resource holds, never who may read or write it.
   */
  fieldLevels: Record<string, Exclude<AccessLevel, 'none' | 'read' | 'write'> | 'admin'>;
  /** Resources readable by all may be changed by their owner and admins only, whatever the grants say. */
  readableByAllNeedsOwnerToWrite?: boolean;
  /** Where a shared kind's access, share and revoke routes are, when not `{basePath}/{id}/access|share|revoke`. */
  sharingPaths?: SharingPaths;
}

/** The paths of a kind's sharing routes, each with an `{id}` parameter. */
export interface SharingPaths {
  access: string;
  share: string;
  revoke: string;
}

/** The descriptor of a kind that is shared. */
export type ShareableDescriptor = ResourceDescriptor & {kind: ShareableKind};

/** How the kind names its tag and its operations: `Datasets`, and `Dataset` as in `getDataset`. */
export function namesOf({kind, basePath}: ResourceDescriptor): {tag: string; singular: string} {
  const capitalised = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
  return {tag: capitalised(basePath.slice(1)), singular: capitalised(kind)};
}

/** A shared kind's sharing routes: as its descriptor names them, or beside its collection. */
export function sharingPathsOf({basePath, sharingPaths}: ShareableDescriptor): SharingPaths {
  return sharingPaths ?? {access: `${basePath}/{id}/access`, share: `${basePath}/{id}/share`, revoke: `${basePath}/{id}/revoke`};
}
