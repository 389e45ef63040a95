import {HttpErrors} from '@loopback/rest';
import type {RequestHandler} from 'express';

/** The route the ELN's pages write through from the openBIS origins (ELN_ORIGINS). */
const ELN_ROUTE = '/volume/file';
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Refuses a write a browser sends from a page of an origin the API does not
 * allow: its own (PUBLIC_URL's, or the host the request came to), CORS_ORIGINS,
 * and ELN_ORIGINS on the ELN route. CORS only keeps such a page from reading
 * the answer; the write itself would still happen (a form post needs no
 * preflight). Requests without an Origin (clients, curl, the hub) are not
 * browsers' and pass.
 */
export function writeOrigin(allowed: {own: string; cors: string[]; eln: string[]}): RequestHandler {
  const anyOrigin = allowed.cors.includes('*');
  const origins = new Set([allowed.own, ...allowed.cors]);
  return (request, _response, next) => {
    const origin = request.headers.origin;
    if (origin === undefined || anyOrigin || !WRITES.has(request.method) || origins.has(origin)) return next();
    // The page the API itself serves, under whatever name the browser reached it.
    if (origin === `${request.protocol}://${request.get('host')}`) return next();
    if (request.method === 'POST' && request.path === ELN_ROUTE && allowed.eln.includes(origin)) return next();
    next(Object.assign(new HttpErrors.Forbidden(`Writes from pages of ${origin} are not allowed`), {code: 'origin_not_allowed'}));
  };
}
