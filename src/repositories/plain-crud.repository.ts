import {DefaultCrudRepository, Entity, Filter} from '@loopback/repository';
import type {Plain} from '../models/plain';
import {findPlain, findPlainById} from './plain-find';

/**
 * The base of every repository of the API: LoopBack's CRUD repository, and
 * reads that answer plain rows (see plain-find) for lists and reads by id.
 */
export class PlainCrudRepository<T extends Entity, ID> extends DefaultCrudRepository<T, ID> {
  /** The rows `find(filter)` would answer, as plain objects; hidden properties only with `withHidden`. */
  findPlain(filter?: Filter<T>, options?: {withHidden?: boolean}): Promise<Array<Plain<T>>> {
    return findPlain(this, filter, options);
  }

  /** The row `findById(id)` would answer, as a plain object; EntityNotFoundError when there is none. */
  findPlainById(id: ID): Promise<Plain<T>> {
    return findPlainById(this, id);
  }
}
