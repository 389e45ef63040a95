import {BindingKey} from '@loopback/core';
import type {AuthorizedResource} from './types/resource-access';
import type {AppConfig} from './config';
import type {ResourceDescriptor} from './types/resource-descriptor';
import type {HealthCheck} from './types/health-check';
import type {SecretStore} from './types/secret-store';

export namespace AppBindings {
  export const CONFIG = BindingKey.create<AppConfig>('notebooks-hub.config');
  /** Package name and version of the running API. */
  export const PACKAGE = BindingKey.create<{name: string; version: string}>(
    'notebooks-hub.package',
  );
}

export namespace HealthBindings {
  /** Tag of every binding that contributes a check to GET /healthcheck. */
  export const CHECK_TAG = 'notebooks-hub.health-check';
  export const checkKey = (name: string) =>
    BindingKey.create<HealthCheck>(`health-checks.${name}`);
}

export namespace ResourceBindings {
  /** Tag of every resource kind's descriptor (src/kinds). */
  export const DESCRIPTOR_TAG = 'notebooks-hub.resource-descriptor';
  export const descriptorKey = (kind: string) => BindingKey.create<ResourceDescriptor>(`resource-descriptors.${kind}`);
  /** The resource the current route acts on, bound by the authorizer in the invocation's context. */
  export const AUTHORIZED = BindingKey.create<AuthorizedResource>('notebooks-hub.authorized-resource');
}

export const OIDC_BEARER_STRATEGY = 'oidc-bearer';
export const OPENBIS_SESSION_STRATEGY = 'openbis-session';
export const SPAWNER_TOKEN_STRATEGY = 'spawner-token';

export namespace SecretBindings {
  /** The secret store chosen by configuration: Vault KV v2 or the encrypted local store. */
  export const STORE = BindingKey.create<SecretStore>('notebooks-hub.secret-store');
}
