import {Count, DataObject, DefaultCrudRepository, Entity, Filter, Options, Where} from '@loopback/repository';
import type {Page, PageOf} from '../models/page';
import type {Plain} from '../models/plain';
import {conflictFromDuplicateKey} from '../utils/duplicate-key.util';
import {countPlain, findPlain, findPlainById} from './plain-find';

/**
 * The base of every repository of the API: LoopBack's CRUD repository,
 * reads that answer plain rows (see plain-find) for lists and reads by id,
 * and writes that answer 409 naming the kind and key when the store refuses
 * them for a unique index of the model (either connector). Unique keys are
 * the store's to hold: a check before a write holds only within one process.
 * save, update and updateById write through the methods here.
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

  /**
   * One page of the rows matching `where` in `order`, read by the store
   * (skip and limit in the query, so only the page's rows are read out),
   * with how many match in all when the page is counted. Ties are broken by
   * id: with a total order, consecutive pages neither overlap nor skip a row.
   */
  async findPage(where: Where<T>, order: string[], page: Page): Promise<PageOf<Plain<T>>> {
    const idName = this.entityClass.getIdProperties()[0];
    const [items, total] = await Promise.all([
      findPlain(this, {where, order: [...order, `${idName} ASC`], skip: page.offset, limit: page.limit}),
      page.counted ? countPlain(this, where) : undefined,
    ]);
    return {items, total};
  }

  override create(entity: DataObject<T>, options?: Options): Promise<T> {
    return this.unique(super.create(entity, options));
  }

  override createAll(entities: Array<DataObject<T>>, options?: Options): Promise<T[]> {
    return this.unique(super.createAll(entities, options));
  }

  override updateAll(data: DataObject<T>, where?: Where<T>, options?: Options): Promise<Count> {
    return this.unique(super.updateAll(data, where, options));
  }

  override replaceById(id: ID, data: DataObject<T>, options?: Options): Promise<void> {
    return this.unique(super.replaceById(id, data, options));
  }

  private unique<R>(write: Promise<R>): Promise<R> {
    const {name, settings} = this.entityClass.definition;
    return write.catch(err => {
      throw conflictFromDuplicateKey(err, name, settings.indexes);
    });
  }
}
