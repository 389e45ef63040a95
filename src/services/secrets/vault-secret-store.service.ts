import {BindingScope, inject, injectable, service} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import NodeVault from 'node-vault';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {LoggerService} from '../logger.service';
import type {SecretStore, StoredSecret} from '../../types/secret-store';
import {peerError} from '../../utils/api-error.util';

type VaultClient = ReturnType<typeof NodeVault>;
type VaultFailure = Error & {response?: {statusCode: number; body?: {errors?: string[]}}; code?: string};

/**
 * Secret values in Vault's KV v2 engine through node-vault: one path per
 * secret, `{VAULT_KV_MOUNT}/data/{VAULT_PATH_PREFIX}/{path}`. Logs in with
 * VAULT_TOKEN or an AppRole (logging in again when the token is refused).
 * TLS is verified unless VAULT_SKIP_TLS_VERIFY says otherwise, with a warning.
 */
@injectable({scope: BindingScope.SINGLETON})
export class VaultSecretStoreService implements SecretStore {
  readonly engine = 'vault' as const;
  private readonly vault: VaultClient;
  private readonly settings: AppConfig['secrets']['vault'];
  private login?: Promise<void>;

  constructor(
    @inject(AppBindings.CONFIG) config: AppConfig,
    @service(LoggerService) logger: LoggerService,
  ) {
    this.settings = config.secrets.vault;
    if (this.settings.skipTlsVerify) {
      logger.warn('VAULT_SKIP_TLS_VERIFY is on: the API does not check Vault\'s certificate, so anyone on the path can read secrets');
    }
    this.vault = NodeVault({
      apiVersion: 'v1',
      endpoint: this.settings.address,
      token: this.settings.token,
      requestOptions: {strictSSL: !this.settings.skipTlsVerify, timeout: this.settings.timeoutMs},
    });
  }

  async write(path: string, value: StoredSecret): Promise<void> {
    await this.call('store a secret', () => this.vault.write(this.dataPath(path), {data: value}));
  }

  async read(path: string): Promise<StoredSecret | undefined> {
    try {
      const answer = await this.call('read a secret', () => this.vault.read(this.dataPath(path)));
      return answer?.data?.data as StoredSecret | undefined;
    } catch (err) {
      if ((err as {statusCode?: number}).statusCode === 404) return undefined;
      throw err;
    }
  }

  async remove(path: string): Promise<void> {
    try {
      await this.call('delete a secret', () =>
        this.vault.delete(`${this.settings.mount}/metadata/${this.settings.pathPrefix}/${path}`),
      );
    } catch (err) {
      if ((err as {statusCode?: number}).statusCode !== 404) throw err;
    }
  }

  async check(): Promise<Record<string, unknown>> {
    const health = await this.call('report its health', () => this.vault.health());
    if (health?.sealed) throw new Error('Vault is sealed');
    await this.call('look up the API\'s token', () => this.vault.tokenLookupSelf());
    return {engine: this.engine, version: health?.version};
  }

  private dataPath(path: string): string {
    return `${this.settings.mount}/data/${this.settings.pathPrefix}/${path}`;
  }

  /** Runs a Vault request, logging in first (AppRole) and again once when the token is refused. */
  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    await this.ensureLogin(what);
    try {
      return await request();
    } catch (err) {
      const status = (err as VaultFailure).response?.statusCode;
      if (status === 403 && this.settings.roleId) {
        this.login = undefined;
        await this.ensureLogin(what);
        try {
          return await request();
        } catch (retryErr) {
          throw vaultError(retryErr as VaultFailure, what);
        }
      }
      throw vaultError(err as VaultFailure, what);
    }
  }

  private async ensureLogin(what: string): Promise<void> {
    if (!this.settings.roleId) return;
    this.login ??= this.vault
      .approleLogin({role_id: this.settings.roleId, secret_id: this.settings.secretId})
      .then(
        () => undefined,
        err => {
          this.login = undefined;
          throw vaultError(err as VaultFailure, `log in with its AppRole to ${what}`);
        },
      );
    return this.login;
  }
}

function vaultError(err: VaultFailure, what: string): Error {
  if (HttpErrors.isHttpError(err)) return err;
  const status = err.response?.statusCode;
  if (status === 404) return Object.assign(new HttpErrors.NotFound(`Vault has no such secret`), {statusCode: 404});
  if (status !== undefined) {
    const reason = err.response?.body?.errors?.[0] ?? `status ${status}`;
    if (status === 503) return peerError('secret_store', new HttpErrors.ServiceUnavailable(`Vault cannot ${what} now (${reason})`));
    return peerError('secret_store', new HttpErrors.BadGateway(`Vault refused to ${what}: ${reason}`));
  }
  if (err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT') {
    return peerError('secret_store', new HttpErrors.GatewayTimeout(`Vault did not answer in time when asked to ${what}`));
  }
  return peerError('secret_store', new HttpErrors.ServiceUnavailable(`Vault is unreachable (${err.code ?? err.message}): could not ${what}`));
}
