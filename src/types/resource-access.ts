import type {Entity} from '@loopback/repository';
import type {ShareableKind} from '../models/grant.model';
import type {Plain} from '../models/plain';

export const ACCESS_LEVELS = ['none', 'read', 'write', 'owner'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];
/** Everything access is decided on: the shareable kinds and groups. */
export type ResourceKind = ShareableKind | 'group';

/** A files root naming a module's binaries folder: `module:{id}`. */
export const MODULE_ROOT_PREFIX = 'module:';

export interface OwnedResource {
  _id?: string;
  owner?: string;
  /** Templates: readable by every signed-in user. */
  public?: boolean;
  /** Modules: curated by admins, readable by every signed-in user. */
  featured?: boolean;
  /** Groups: the members' emails. */
  members?: string[];
}

/** A live resource, read once: what access is decided on, and what a read of it answers. */
export interface FoundResource<T extends Entity = Entity> {
  /** The owner under `owner` whatever the kind calls it, with the flags that widen reading. */
  subject: OwnedResource;
  /** The row as a read by id answers it: hidden properties left out. */
  record: Plain<T>;
}

/**
 * The resource a route acts on, as the authorizer read it and decided on
 * it: bound for the handler (ResourceBindings.AUTHORIZED), so the handler
 * neither reads it again nor decides again.
 */
export interface AuthorizedResource<T extends Entity = Entity> extends FoundResource<T> {
  kind: ResourceKind;
  id: string;
  /** The caller's level on it; `owner` for admins. */
  level: AccessLevel;
}
