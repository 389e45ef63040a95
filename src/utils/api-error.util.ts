import {HttpErrors} from '@loopback/rest';

/** The peers whose failures the API answers with 502, 503, 504 or 507, each named in its error codes. */
export type Peer = 'hub' | 'identity_provider' | 'openbis' | 'secret_store' | 'storage' | 'database';

/** A peer's code is the peer and how it failed, by the status it is answered with. */
const PEER_FAILURES: Record<number, string> = {502: 'error', 503: 'unavailable', 504: 'timeout', 507: 'full'};

/** The API's own refusals, one code per status; validation_failed is a 400 too, said by the schema check. */
const OWN_CODES = {
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
};

/**
 * The stable, machine-readable `code` of every error answer, with what it
 * means: clients branch on these, never on messages. The README's table is
 * this one.
 */
export const ERROR_CODES: Record<string, {status: number; meaning: string}> = {
  ...OWN_CODES,
  hub_error: {status: 502, meaning: 'JupyterHub answered with an error'},
  hub_unavailable: {status: 503, meaning: 'JupyterHub is unreachable or not configured'},
  hub_timeout: {status: 504, meaning: 'JupyterHub did not answer in time'},
  identity_provider_error: {status: 502, meaning: 'The OpenID provider answered with an error'},
  identity_provider_unavailable: {status: 503, meaning: 'The OpenID provider is unreachable or not configured'},
  identity_provider_timeout: {status: 504, meaning: 'The OpenID provider did not answer in time'},
  openbis_error: {status: 502, meaning: 'openBIS answered with an error'},
  openbis_unavailable: {status: 503, meaning: 'openBIS is unreachable or not configured'},
  openbis_timeout: {status: 504, meaning: 'openBIS did not answer in time'},
  secret_store_error: {status: 502, meaning: 'The secret store (Vault) answered with an error'},
  secret_store_unavailable: {status: 503, meaning: 'The secret store (Vault) is unreachable or not configured'},
  secret_store_timeout: {status: 504, meaning: 'The secret store (Vault) did not answer in time'},
  storage_unavailable: {status: 503, meaning: 'The storage refused the operation (not writable); nothing was changed'},
  storage_full: {status: 507, meaning: 'The storage is full; nothing was written'},
  database_unavailable: {status: 503, meaning: 'The database cannot be written (DATA_DIR not writable) or reached (MongoDB); nothing was changed'},
  sign_in_not_bound: {status: 400, meaning: 'The sign-in was not started by this client (its sign-in cookie is missing or different); start again'},
  email_not_verified: {status: 403, meaning: 'The token does not say the person\'s email is verified (OIDC_REQUIRE_VERIFIED_EMAIL)'},
  origin_not_allowed: {status: 403, meaning: 'A write from a browser page of an origin the API does not allow (its own, CORS_ORIGINS, ELN_ORIGINS on the ELN route)'},
  launch_refused: {status: 403, meaning: 'The hub\'s spawner presented no launch ticket, or one that is unknown, used, expired, for another server, or whose server is not starting'},
  no_default_template: {status: 409, meaning: 'None of your servers runs and you have no default template (DEFAULT_TEMPLATE_ID, or the last one you launched) to open the file in: launch one first'},
  rate_limited: {status: 429, meaning: 'Too many requests from this address (sign-in) or caller (writes); `Retry-After` says when to try again'},
};
export type ErrorCode = keyof typeof ERROR_CODES;

/** The code of a status that has no more telling one. */
const BY_STATUS: Record<number, ErrorCode> = Object.fromEntries(
  Object.entries(OWN_CODES)
    .filter(([code]) => code !== 'validation_failed')
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

/** One offending field of a request, as a refusal by the request's schema names it. */
export interface FieldProblem {
  /** JSON Pointer to the field in the body, e.g. `/mount_path`. */
  path: string;
  code: string;
  message: string;
}

/**
 * A schema check's problem with its path naming the field: a missing or an
 * unknown property is reported at the object that lacks or has it (`""` for
 * the body), which tells a client nothing, so the property is appended.
 */
export function namingField<P extends {path: string; info?: unknown}>(problem: P): P {
  const info = (problem.info ?? {}) as {missingProperty?: unknown; additionalProperty?: unknown};
  const field = info.missingProperty ?? info.additionalProperty;
  return typeof field === 'string' ? {...problem, path: problem.path + fieldPointer(field)} : problem;
}

/**
 * A 400 validation_failed for a rule no schema can say (it depends on the
 * configuration, the stored record or a list kept elsewhere): the message
 * names the fields, and `details` lists them as the schema check does.
 */
export function invalidFields(problems: FieldProblem[]): HttpErrors.HttpError {
  const message = problems.map(p => `${p.path.slice(1).replace(/\//g, '.') || 'the body'}: ${p.message}`).join('; ');
  return Object.assign(new HttpErrors.BadRequest(message), {code: 'validation_failed', details: problems});
}

/** The JSON Pointer of a field: `fieldPointer('value', 'A/B')` is `/value/A~1B`. */
export function fieldPointer(...segments: string[]): string {
  return segments.map(segment => `/${segment.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}
