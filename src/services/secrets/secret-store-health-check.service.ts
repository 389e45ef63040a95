import {inject} from '@loopback/core';
import {SecretBindings} from '../../keys';
import type {HealthCheck} from '../../types/health-check';
import type {SecretStore} from '../../types/secret-store';

/** The secret store answers (Vault: unsealed, the API's token valid; local: key and folder usable). */
export class SecretStoreHealthCheck implements HealthCheck {
  readonly name = 'secretStore';

  constructor(@inject(SecretBindings.STORE) private readonly store: SecretStore) {}

  check(): Promise<Record<string, unknown>> {
    return this.store.check();
  }
}
