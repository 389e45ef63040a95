import type {Entity} from '@loopback/repository';
import type {AccessLevel, ResourceKind} from '../services/access/access.service';
import type {FoundResource} from '../services/access/resource-lookup.service';

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
