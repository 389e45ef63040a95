import type {Response} from '@loopback/rest';

/** An answer carrying secret values or tokens: no cache, shared or private, may keep it (RFC 6749 5.1). */
export function forbidCaching(response: Response): void {
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Pragma', 'no-cache');
}
