import {HttpErrors} from '@loopback/rest';

/** MongoDB's error code for a write that breaks a unique index; the embedded store answers it too. */
export const DUPLICATE_KEY = 11000;

/** A unique index as model settings declare it: `indexes: {name: {keys: {...}, options: {unique: true}}}`. */
export interface IndexDeclaration {
  keys?: Record<string, unknown>;
  options?: {unique?: boolean};
}

interface DuplicateKeyError extends Error {
  code: number;
  keyValue?: Record<string, unknown>;
}

/** The error MongoDB answers a write that breaks the unique index `index`, for a store that enforces indexes itself. */
export function duplicateKeyError(collection: string, index: string, keyValue: Record<string, unknown>): DuplicateKeyError {
  return Object.assign(
    new Error(`E11000 duplicate key error collection: ${collection} index: ${index} dup key: ${JSON.stringify(keyValue)}`),
    {code: DUPLICATE_KEY, keyValue},
  );
}

function isDuplicateKey(err: unknown): err is DuplicateKeyError {
  return err instanceof Error && (err as Partial<DuplicateKeyError>).code === DUPLICATE_KEY;
}

/**
 * A duplicate key error from either store as 409, naming the kind and the
 * key: `Module already exists with owner "a@b.org", name "tool" and version "1.0"`.
 * Key fields that are null (a live module's deletedAt) say nothing to the caller and are left out.
 * Without the driver's keyValue (older servers, bulk writes) the index's fields are named from `indexes`.
 * Other errors are answered as they are.
 */
export function conflictFromDuplicateKey(err: unknown, kind: string, indexes: Record<string, IndexDeclaration> = {}): unknown {
  if (!isDuplicateKey(err)) return err;
  if (err.keyValue) {
    const parts = Object.entries(err.keyValue)
      .filter(([, value]) => value !== null && value !== undefined)
      .map(([field, value]) => `${words(field)} ${JSON.stringify(value)}`);
    if (parts.length > 0) return new HttpErrors.Conflict(`${kind} already exists with ${listed(parts)}`);
  }
  const index = / index: (\S+)/.exec(err.message)?.[1];
  const fields = Object.keys((index && indexes[index]?.keys) ?? {}).map(words);
  return new HttpErrors.Conflict(fields.length > 0 ? `${kind} already exists with the same ${listed(fields)}` : `${kind} already exists`);
}

/** A field as callers know it: `serverName` as `server name`; a stored comparison key (`nameKey`) as what it keys (`name`). */
function words(field: string): string {
  return field
    .replace(/(.)Key$/, '$1')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

function listed(parts: string[]): string {
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}
