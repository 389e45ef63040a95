import {HttpErrors} from '@loopback/rest';

/** The peers whose failures the API answers with 502, 503, 504 or 507, each named in its error codes. */
export const PEERS = ['hub', 'identity_provider', 'openbis', 'secret_store', 'storage', 'database'] as const;
export type Peer = (typeof PEERS)[number];

const PEER_NAMES: Record<Peer, string> = {
  hub: 'JupyterHub',
  identity_provider: 'The OpenID provider',
  openbis: 'openBIS',
  secret_store: 'The secret store (Vault)',
  storage: 'The storage',
  database: 'The database',
};

const PEER_FAILURES: Record<number, string> = {502: 'error', 503: 'unavailable', 504: 'timeout', 507: 'full'};

/**
 * The stable, machine-readable `code` of every error answer, with what it
 * means: clients branch on these, never on messages. The README's table is
 * this one.
 */
export const ERROR_CODES: Record<string, {status: number; meaning: string}> = {
  bad_request: {status: 400, meaning: 'The request is malformed or asks for something impossible; the message says what'},
  validation_failed: {status: 400, meaning: 'The body or a parameter breaks its schema; `details` names each offending field'},
  unauthenticated: {status: 401, meaning: 'No valid token (or openBIS session, or spawner token) came with the request'},
  forbidden: {status: 403, meaning: 'The caller may see the resource but not do this to it'},
  not_found: {status: 404, meaning: 'No such resource, or none the caller may read'},
  method_not_allowed: {status: 405, meaning: 'The path exists, but not with this method'},
  conflict: {status: 409, meaning: 'The resource is not in a state that allows this, or its unique key is taken'},
  payload_too_large: {status: 413, meaning: 'The body or the file is larger than the configured limit'},
  unsupported_media_type: {status: 415, meaning: 'The body comes in a content type this operation does not take'},
  internal_error: {status: 500, meaning: 'The API failed; the log has the cause, the answer does not'},
  ...Object.fromEntries(
    PEERS.flatMap(peer =>
      Object.entries(PEER_FAILURES)
        .filter(([status]) => (peer === 'storage' ? status !== '502' && status !== '504' : status !== '507'))
        .filter(([status]) => peer !== 'database' || status === '503')
        .map(([status, failure]) => [`${peer}_${failure}`, {status: Number(status), meaning: peerMeaning(peer, Number(status))}]),
    ),
  ),
};
export type ErrorCode = keyof typeof ERROR_CODES;


function peerMeaning(peer: Peer, status: number): string {
  const name = PEER_NAMES[peer];
  switch (status) {
    case 502:
      return `${name} answered with an error`;
    case 503:
      if (peer === 'storage') return 'The storage refused the operation (not writable); nothing was changed';
      if (peer === 'database') return 'The database cannot be written (DATA_DIR not writable) or reached (MongoDB); nothing was changed';
      return `${name} is unreachable or not configured`;
    case 504:
      return `${name} did not answer in time`;
    default:
      return 'The storage is full; nothing was written';
  }
}

/** The code of statuses without a code of their own. */
const BY_STATUS: Record<number, ErrorCode> = Object.fromEntries(
  Object.entries(ERROR_CODES)
    .filter(([code]) => !PEERS.some(peer => code.startsWith(`${peer}_`)) && code !== 'validation_failed')
    .map(([code, {status}]) => [status, code]),
);

/** A failure of `peer`, its HTTP error tagged with the peer's code for its status (502, 503, 504, 507). */
export function peerError<E extends HttpErrors.HttpError>(peer: Peer, error: E): E {
  return Object.assign(error, {code: `${peer}_${PEER_FAILURES[error.statusCode]}`});
}

/** The stable code of an error about to be answered with `status`. */
export function errorCodeOf(error: object, status: number): ErrorCode {
  const {code} = error as {code?: unknown};
  if (typeof code === 'string' && code in ERROR_CODES && ERROR_CODES[code].status === status) return code;
  if (code === 'VALIDATION_FAILED') return 'validation_failed';
  return BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
}
