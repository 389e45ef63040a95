import {AsyncLocalStorage} from 'node:async_hooks';
import {createHash, randomUUID} from 'node:crypto';

/** What every log line written while a request is handled says about it. */
export interface RequestScope {
  requestId: string;
  /** The caller, once authenticated: a hash of their email, never the email itself. */
  user?: string;
}

const scopes = new AsyncLocalStorage<RequestScope>();

/** The header a request id comes in and is answered in. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A request id a proxy or client may choose: short, and harmless in a log line or a header. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's own id when it is sane, else a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** Runs the handling of one request with `scope` visible to everything it calls, awaited or not. */
export function runInRequestScope<T>(scope: RequestScope, handle: () => T): T {
  return scopes.run(scope, handle);
}

/** The scope of the request being handled, if any. */
export function currentRequestScope(): RequestScope | undefined {
  return scopes.getStore();
}

/** Hashes already made, by email: a SHA-256 per request would be a tenth of a light request's time. */
const hashes = new Map<string, string>();
/** Bounds the memory of `hashes`: beyond it, they are forgotten and made again. */
const HASHES_KEPT = 10_000;

/**
 * Who made a request, for logs: the first 16 hex digits of the SHA-256 of
 * the lower-cased email, so one person's lines can be followed without the
 * log holding their address.
 */
export function userHash(email: string): string {
  let hash = hashes.get(email);
  if (hash === undefined) {
    if (hashes.size >= HASHES_KEPT) hashes.clear();
    hash = createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 16);
    hashes.set(email, hash);
  }
  return hash;
}
