import type {Entity} from '@loopback/repository';

type Serialised<V> = V extends Date ? string : V;

/**
 * A model's data as its JSON answers it: no methods, dates as ISO strings.
 * Read-only: its nested values may be the embedded store's own frozen rows.
 * What list and read routes answer; repositories produce it (plain-find).
 */
export type Plain<T extends Entity> = {
  readonly [K in keyof Omit<T, 'getId' | 'getIdObject' | 'toJSON' | 'toObject'>]: Serialised<T[K]>;
};
