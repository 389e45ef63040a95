import {BindingScope, inject, injectable} from '@loopback/core';
import {HttpErrors, Request} from '@loopback/rest';
import {securityId, UserProfile} from '@loopback/security';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {FixedWindowCounter} from '../../utils/fixed-window-counter.util';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Per-minute limits of this process (each replica counts its own; a limit
 * shared by replicas belongs to the Ingress): sign-in calls per client
 * address, which guards the provider and the state signing against floods,
 * and writes per signed-in caller. 0 turns a limit off.
 */
@injectable({scope: BindingScope.SINGLETON})
export class RateLimiterService {
  private readonly signIn?: FixedWindowCounter;
  private readonly writes?: FixedWindowCounter;

  constructor(@inject(AppBindings.CONFIG) config: AppConfig) {
    const {authPerClientAddress, writesPerCaller} = config.rateLimits;
    if (authPerClientAddress > 0) this.signIn = new FixedWindowCounter(authPerClientAddress);
    if (writesPerCaller > 0) this.writes = new FixedWindowCounter(writesPerCaller);
  }

  /** Counts a request under /auth/ against its client address (TRUST_PROXY says which X-Forwarded-For hops count). */
  checkSignIn(request: Request): void {
    if (!this.signIn || !request.path.startsWith('/auth/')) return;
    const address = request.ip ?? request.socket.remoteAddress ?? 'unknown';
    refuseAfter(this.signIn.take(address), 'sign-in requests from this address');
  }

  /** Counts a write (any method but GET, HEAD and OPTIONS) against the caller. */
  checkWrite(method: string, caller: UserProfile): void {
    if (!this.writes || READS.has(method)) return;
    refuseAfter(this.writes.take(caller[securityId]), 'changes by this caller');
  }
}

function refuseAfter(retryAfterSeconds: number, what: string): void {
  if (retryAfterSeconds === 0) return;
  throw Object.assign(new HttpErrors.TooManyRequests(`Too many ${what} this minute: try again in ${retryAfterSeconds} s`), {
    code: 'rate_limited',
    headers: {'Retry-After': String(retryAfterSeconds)},
  });
}
