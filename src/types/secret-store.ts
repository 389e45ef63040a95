/** A secret's value as the store keeps it: env_var pairs as they are, raw content under `content`. */
export type StoredSecret = Record<string, string>;

/**
 * Where secret values live. Two implementations: Vault KV
 * v2 (VaultSecretStoreService) and the encrypted local store
 * (LocalSecretStoreService); the database only ever holds metadata.
 * Failures are HTTP errors: 503 when the store cannot be reached, 504 when it
 * is slow, 502 when it refuses.
 */
export interface SecretStore {
  readonly engine: 'vault' | 'local';
  /** Writes a new version of the value at `path`. */
  write(path: string, value: StoredSecret): Promise<void>;
  /** The current value, or undefined when there is none. */
  read(path: string): Promise<StoredSecret | undefined>;
  /** Removes every version; removing what is not there succeeds. */
  remove(path: string): Promise<void>;
  /** Health details, or a rejection saying why the store cannot be used. */
  check(): Promise<Record<string, unknown>>;
}
