import {BindingScope, injectable} from '@loopback/core';
import {repository} from '@loopback/repository';
import {randomUUID} from 'node:crypto';
import os from 'node:os';
import {LeaseRepository} from '../../repositories/lease.repository';

/**
 * Leases in the database, so that of several replicas on one database one
 * at a time does a periodic task. Taking and renewing are one conditional
 * update each (held by this instance, or expired), which the store applies
 * atomically: two instances never both hold a lease.
 */
@injectable({scope: BindingScope.SINGLETON})
export class LeaseService {
  /** This API instance: unique even for two instances in one process. */
  readonly holder = `${os.hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;

  constructor(@repository(LeaseRepository) private readonly leases: LeaseRepository) {}

  /** Takes or renews the lease `name` for `ttlMs`; false while another instance holds it. */
  async acquire(name: string, ttlMs: number, now = new Date()): Promise<boolean> {
    const expiresAt = new Date(now.getTime() + ttlMs);
    const {count} = await this.leases.updateAll(
      {holder: this.holder, expiresAt},
      {_id: name, or: [{holder: this.holder}, {expiresAt: {lt: now}}]},
    );
    if (count > 0) return true;
    try {
      await this.leases.create({_id: name, holder: this.holder, expiresAt});
      return true;
    } catch (err) {
      // The lease exists, held by another instance: either store answers 409 for a taken id.
      if ((err as {statusCode?: number}).statusCode === 409) return false;
      throw err;
    }
  }

  /** Gives the lease up, if this instance holds it, so another replica takes it at once instead of at expiry. */
  async release(name: string): Promise<void> {
    await this.leases.updateAll({expiresAt: new Date(0)}, {_id: name, holder: this.holder});
  }
}
