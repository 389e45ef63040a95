import {DefaultCrudRepository, Entity, EntityNotFoundError, Filter} from '@loopback/repository';
import {promisify} from 'node:util';
import {SHARED_ROWS} from '../datasources/durable-memory.connector';

type Connector = {
  all(model: string, filter: object, options: object, callback: (err: Error | null, rows?: object[]) => void): void;
};
type ModelStatics = {
  modelName: string;
  definition: {settings: {hiddenProperties?: string[]}; properties: Record<string, unknown>};
  getDataSource(): {connector: Connector};
  _normalize?(filter: object, options: object): object;
  _coerce?(where: object, options: object): object;
};

/**
 * A model's data without its methods: what a list answers. Read-only: its
 * nested values may be the embedded store's own (frozen) parsed rows.
 */
export type Plain<T extends Entity> = Readonly<Omit<T, 'getId' | 'getIdObject' | 'toJSON' | 'toObject'>>;

/**
 * The rows a repository's `find(filter)` would answer, as plain objects read
 * straight from the connector: no model instance is built per row (about
 * 7 µs each, most of a list's time), properties in the model's order and
 * hidden ones dropped, as toJSON does. Same filter semantics on the memory connector and
 * MongoDB, since both connectors evaluate it; a test holds the JSON of both
 * paths equal.
 */
export async function findPlain<T extends Entity, ID>(
  repository: DefaultCrudRepository<T, ID>,
  filter: Filter<T> = {},
  {withHidden = false} = {},
): Promise<Array<Plain<T>>> {
  const model = repository.modelClass as unknown as ModelStatics;
  // _normalize coerces the where clause too.
  const query = structuredClone(filter) as Record<string, unknown>;
  model._normalize?.(query, {});
  const connector = model.getDataSource().connector;
  // The embedded store may then answer its cached rows instead of copies; MongoDB ignores the option.
  const rows = (await promisify(connector.all.bind(connector))(model.modelName, query, {[SHARED_ROWS]: true})) ?? [];
  const hidden = new Set(withHidden ? [] : model.definition.settings.hiddenProperties ?? []);
  // toJSON lists properties in the model's order, whatever order they were stored in.
  const order = Object.keys(model.definition.properties).filter(key => !hidden.has(key));
  return (rows as Record<string, unknown>[]).map(row => {
    const plain: Record<string, unknown> = {};
    for (const key of order) if (row[key] !== undefined) plain[key] = row[key];
    return plain as Plain<T>;
  });
}

/**
 * The row `repository.findById(id)` would answer, read as findPlain reads;
 * EntityNotFoundError when there is none. `withHidden` keeps the hidden
 * properties, for the API's own decisions, never for an answer.
 */
export async function findPlainById<T extends Entity, ID>(
  repository: DefaultCrudRepository<T, ID>,
  id: ID,
  options: {withHidden?: boolean} = {},
): Promise<Plain<T>> {
  const idName = repository.entityClass.getIdProperties()[0];
  const [found] = await findPlain(repository, {where: {[idName]: id}} as Filter<T>, options);
  if (!found) throw new EntityNotFoundError(repository.entityClass, id);
  return found;
}
