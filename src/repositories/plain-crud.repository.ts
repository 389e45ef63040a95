import {Count, DataObject, DefaultCrudRepository, Entity, Filter, Options, Where} from '@loopback/repository';
import {HttpErrors} from '@loopback/rest';
import type {Page, PageOf} from '../models/page';
import type {Plain} from '../models/plain';
import {conflictFromDuplicateKey} from '../utils/duplicate-key.util';
import {countPlain, findPlain, findPlainById} from '../framework/plain-find';

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
   * with how many match in all when the page is counted, and then the sort
   * key of its last row when rows follow it (one row more is read to know).
   * Ties are broken by id: with a total order, consecutive pages neither
   * overlap nor skip a row, and a page that starts after a sort key
   * (`page.after`, a keyset condition in the where clause) starts at the
   * same row whatever was created or deleted before it.
   */
  async findPage(where: Where<T>, order: string[], page: Page): Promise<PageOf<Plain<T>>> {
    const idName = this.entityClass.getIdProperties()[0];
    const sort = [...order, `${idName} ASC`];
    const keys = sort.map(clause => {
      const [field, direction] = clause.split(/\s+/);
      return {field, descending: direction?.toUpperCase() === 'DESC'};
    });
    const paged = page.after ? ({and: [where, this.keysetAfter(keys, page.after)]} as Where<T>) : where;
    const [rows, total] = await Promise.all([
      findPlain(this, {where: paged, order: sort, skip: page.offset, limit: page.limit + (page.counted ? 1 : 0)}),
      page.counted ? countPlain(this, where) : undefined,
    ]);
    const items = rows.slice(0, page.limit);
    const last = items[items.length - 1] as Record<string, unknown> | undefined;
    const next = last && rows.length > page.limit ? keys.map(({field}) => last[field] ?? null) : undefined;
    return {items, total, next};
  }

  /**
   * The rows after the sort key `after` in the order of `keys`: a greater
   * first key, or an equal one and a greater second key, and so on. Null
   * and missing values come first, as both stores sort them. 400 when
   * `after` does not fit the keys (from another list, or made up).
   */
  private keysetAfter(keys: Array<{field: string; descending: boolean}>, after: unknown[]): Where<T> {
    const {properties} = this.entityClass.definition;
    if (after.length !== keys.length) throw invalidCursor();
    const values = keys.map(({field}, i) => typedCursorValue(after[i], properties[field]?.type));
    const branches = keys.flatMap(({field, descending}, i) => {
      const value = values[i];
      let later: object | undefined;
      if (!descending) later = {[field]: value === null ? {neq: null} : {gt: value}};
      else if (value !== null) later = {or: [{[field]: {lt: value}}, {[field]: null}]};
      return later ? [{and: [...keys.slice(0, i).map((key, j) => ({[key.field]: values[j]})), later]}] : [];
    });
    return {or: branches} as Where<T>;
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

/** A cursor's value as the property holds it (dates as Date); 400 when it is not of the property's type. */
function typedCursorValue(value: unknown, type: unknown): unknown {
  if (value === null) return null;
  const expected = typeof type === 'string' ? type.toLowerCase() : typeof type === 'function' ? type.name.toLowerCase() : undefined;
  if (expected === 'date' && typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value);
  if (expected !== 'date' && typeof value === expected) return value;
  throw invalidCursor();
}

/** The answer to an `after` that is not a cursor this list gave. */
export function invalidCursor(): HttpErrors.HttpError {
  return new HttpErrors.BadRequest(
    "`after` is not a cursor of this list: take it from the envelope's `next.url`, or start again without it",
  );
}
