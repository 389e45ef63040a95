import {AuthenticationStrategy, asAuthStrategy} from '@loopback/authentication';
import {BindingScope, inject, injectable} from '@loopback/core';
import {HttpErrors, Request} from '@loopback/rest';
import {securityId} from '@loopback/security';
import {createHash, timingSafeEqual} from 'node:crypto';
import type {AppConfig} from '../config';
import {AppBindings, SPAWNER_TOKEN_STRATEGY} from '../keys';
import type {Caller} from '../services/identity/identity.service';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The hub's spawner, with the shared SPAWNER_TOKEN as `Authorization: Bearer`.
 * Only the spawner's own route takes this strategy, and only it; the caller
 * it makes is no person, so no other route's access rules can admit it.
 */
@injectable(asAuthStrategy, {scope: BindingScope.SINGLETON})
export class SpawnerTokenStrategy implements AuthenticationStrategy {
  readonly name = SPAWNER_TOKEN_STRATEGY;
  private readonly expected?: Buffer;

  constructor(@inject(AppBindings.CONFIG) config: AppConfig) {
    this.expected = config.hub.spawnerToken === undefined ? undefined : digest(config.hub.spawnerToken);
  }

  async authenticate(request: Request): Promise<Caller> {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization?.trim() ?? '');
    // Digests compare in constant time whatever the lengths.
    if (!this.expected || !match || !timingSafeEqual(digest(match[1]), this.expected)) {
      throw Object.assign(new HttpErrors.Unauthorized("This route is for the hub's spawner, with SPAWNER_TOKEN"), {
        headers: {'WWW-Authenticate': 'Bearer'},
      });
    }
    return {[securityId]: 'spawner', email: '', username: '', organisation: '', admin: false, spawner: true};
  }
}
