import {BindingScope, inject, injectable, service} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import {createCipheriv, createDecipheriv, createHash, randomBytes} from 'node:crypto';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {FileSystemService} from '../files/file-system.service';
import type {SecretStore, StoredSecret} from '../../types/secret-store';

interface SealedFile {
  iv: string;
  tag: string;
  data: string;
}

/**
 * The embedded default secret store: one file per secret under
 * DATA_DIR/secrets, encrypted with AES-256-GCM (the path is authenticated
 * data, so a file moved to another path does not decrypt). The key is
 * SECRETS_KEY or DATA_DIR/secrets.key, generated with mode 0600 on first use.
 */
@injectable({scope: BindingScope.SINGLETON})
export class LocalSecretStoreService implements SecretStore {
  readonly engine = 'local' as const;
  private readonly folder: string;
  private key?: Promise<Buffer>;

  constructor(
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @service(FileSystemService) private readonly files: FileSystemService,
  ) {
    this.folder = path.join(config.dataDir, 'secrets');
  }

  async write(secretPath: string, value: StoredSecret): Promise<void> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', await this.secretKey(), iv);
    cipher.setAAD(Buffer.from(secretPath));
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    const sealed: SealedFile = {iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64')};
    await this.files.writeFileAtomically(JSON.stringify(sealed), this.folder, fileName(secretPath));
  }

  async read(secretPath: string): Promise<StoredSecret | undefined> {
    let sealed: SealedFile;
    try {
      sealed = JSON.parse(await fs.readFile(this.files.inside(this.folder, fileName(secretPath)), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', await this.secretKey(), Buffer.from(sealed.iv, 'base64'));
      decipher.setAAD(Buffer.from(secretPath));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      const plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as StoredSecret;
    } catch {
      throw new HttpErrors.InternalServerError('A stored secret cannot be decrypted: is SECRETS_KEY the key it was written with?');
    }
  }

  async remove(secretPath: string): Promise<void> {
    await this.files.removeFile(this.folder, fileName(secretPath));
  }

  async check(): Promise<Record<string, unknown>> {
    await this.secretKey();
    await fs.mkdir(this.folder, {recursive: true, mode: 0o700});
    await fs.access(this.folder, fs.constants.W_OK);
    return {engine: this.engine};
  }

  private secretKey(): Promise<Buffer> {
    this.key ??= this.config.secrets.localKey
      ? Promise.resolve(Buffer.from(this.config.secrets.localKey, 'base64'))
      : this.files
          .readOrCreatePrivate(path.join(this.config.dataDir, 'secrets.key'), () => randomBytes(32).toString('base64'))
          .then(key => Buffer.from(key.trim(), 'base64'));
    return this.key;
  }
}

/** A file name that reveals nothing of the path. */
function fileName(secretPath: string): string {
  return `${createHash('sha256').update(secretPath).digest('hex')}.json`;
}
