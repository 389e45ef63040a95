import cors, {CorsOptions, CorsRequest} from 'cors';
import type {RequestHandler} from 'express';

/** The one route the ELN's pages call from the openBIS origin: the ELN form of POST /volume/file. */
const ELN_ROUTE = '/volume/file';
const CLOSED: CorsOptions = {origin: false};

/**
 * CORS for the configured ELN origins (ELN_ORIGINS) on the ELN route only.
 * The ELN page calls cross-origin and must read the answer (`fileName`);
 * every other route stays closed to those origins. Runs before the API's
 * own CORS, which leaves the headers it set alone.
 */
export function elnCors(origins: string[]): RequestHandler {
  const open: CorsOptions = {origin: origins, methods: 'POST', credentials: false, maxAge: 86400};
  return cors((request: CorsRequest, decide: (err: Error | null, options?: CorsOptions) => void) => {
    const {path, method, headers} = request as CorsRequest & {path: string};
    const asked = method === 'OPTIONS' ? headers['access-control-request-method'] : method;
    const forEln = path === ELN_ROUTE && asked === 'POST' && typeof headers.origin === 'string' && origins.includes(headers.origin);
    decide(null, forEln ? open : CLOSED);
  });
}
