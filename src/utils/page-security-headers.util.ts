import type {ServerResponse} from 'node:http';

/**
 * The launcher keeps tokens in sessionStorage, so nothing but its own
 * files may run in it, nobody may frame it (clickjacking), and the code and
 * state of a sign-in redirect never leave in a Referer. It only calls the
 * API itself and navigates to the provider, the hub and the servers
 * (navigation needs no source).
 */
export const LAUNCHER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The explorer's page runs Swagger UI's inline script and styles: it gets the frame and referrer protection only. */
export const EXPLORER_CSP = "frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/** Headers of a page that holds or shows tokens. */
export function setPageSecurityHeaders(response: ServerResponse, contentSecurityPolicy: string): void {
  response.setHeader('Content-Security-Policy', contentSecurityPolicy);
  response.setHeader('X-Frame-Options', 'DENY');
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('X-Content-Type-Options', 'nosniff');
}
