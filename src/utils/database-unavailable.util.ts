import {HttpErrors} from '@loopback/rest';
import {peerError} from './api-error.util';

/**
 * The MongoDB driver's errors for a database it cannot reach or lost
 * (by class name: the driver is the connector's, not the API's, dependency).
 */
const UNREACHABLE = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoServerClosedError',
]);

/**
 * A 503 `database_unavailable` for a request that met a MongoDB it cannot
 * reach, so callers may retry and the metrics count it; undefined for
 * other errors. The message names no host: the driver's may carry the
 * connection string's.
 */
export function databaseUnavailable(err: unknown): HttpErrors.HttpError | undefined {
  if (!(err instanceof Error) || !UNREACHABLE.has(err.name)) return undefined;
  return peerError(
    'database',
    new HttpErrors.ServiceUnavailable('The database cannot be reached: nothing was changed; try again shortly'),
  );
}
