import {BindingScope, inject, injectable, service} from '@loopback/core';
import {repository, Where} from '@loopback/repository';
import {HttpErrors} from '@loopback/rest';
import {randomUUID} from 'node:crypto';
import type {AppConfig} from '../../config';
import {AppBindings, SecretBindings} from '../../keys';
import type {Page, PageOf} from '../../models/page';
import {Secret, SecretType} from './secret.model';
import {Plain} from '../../framework/plain-find';
import {SecretRepository} from './secret.repository';
import {AccessService} from '../../services/access/access.service';
import type {Caller} from '../../services/identity/identity.service';
import type {SecretStore, StoredSecret} from '../../types/secret-store';
import {SharingService} from '../../services/access/sharing.service';
import {fieldPointer, FieldProblem, invalidFields, peerError} from '../../utils/api-error.util';
import {forbiddenEnvName} from '../../utils/env-name.util';
import {SECRET_PATH_MAX_LENGTH, SECRET_PATH_PATTERN} from '../../validation';

/** A secret's value as the API takes and gives it: pairs for env_var, file content for raw. */
export type SecretValue = string | Record<string, string>;

export type SecretInput = Pick<Secret, 'secretName' | 'type' | 'description' | 'mount_path'> & {value: SecretValue};
export type SecretPatch = Partial<Pick<Secret, 'secretName' | 'description' | 'mount_path'>> & {value?: SecretValue};
export type SecretWithValue = Plain<Secret> & {value: SecretValue};

const MAX_PAIRS = 200;
const SECRET_PATH = new RegExp(SECRET_PATH_PATTERN);
/** A write or delete not finished by then was cut short (the API stopped): it is cleaned up. */
const ABANDONED_AFTER_MS = 10 * 60 * 1000;
const READY = {state: 'ready'} as Where<Secret>;

/**
 * Secrets: metadata in the database, values only in the secret store. A
 * write records the metadata as `pending`, writes the value, then marks it
 * `ready`; a failed value write removes the metadata again, and records left
 * `pending` or `deleting` by a crash are swept with their values. So no
 * metadata is ever visible without its value, and no value outlives its
 * metadata for long.
 */
@injectable({scope: BindingScope.SINGLETON})
export class SecretService {
  constructor(
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @inject(SecretBindings.STORE) private readonly store: SecretStore,
    @repository(SecretRepository) private readonly secrets: SecretRepository,
    @service(AccessService) private readonly access: AccessService,
    @service(SharingService) private readonly sharing: SharingService,
  ) {}

  async list(caller: Caller, filter: {owner?: string; type?: string; name?: string}, page: Page): Promise<PageOf<Plain<Secret>>> {
    const where: object[] = [await this.access.readableWhere<Secret>(caller, 'secret'), READY];
    if (filter.owner) where.push({owner: filter.owner.trim().toLowerCase()});
    if (filter.name) where.push({secretName: filter.name});
    if (filter.type) where.push({type: filter.type});
    return this.secrets.findPage({and: where} as Where<Secret>, ['secretName ASC'], page);
  }

  /** The secret as read, with its value from the secret store. */
  async withValue(secret: Plain<Secret>): Promise<SecretWithValue> {
    const stored = await this.store.read(secret._id!);
    if (!stored) throw peerError('secret_store', new HttpErrors.BadGateway(`The secret store has no value for secret ${secret._id}`));
    return {...secret, value: fromStored(secret.type, stored)};
  }

  async create(caller: Caller, input: SecretInput): Promise<Secret> {
    const stored = this.toStored(input.type, input.value);
    assertMountPath(input.type, input.mount_path);
    const id = randomUUID();
    await this.secrets.create({
      _id: id,
      secretName: input.secretName,
      type: input.type,
      description: input.description,
      mount_path: input.mount_path,
      owner: caller.email,
      engine: this.store.engine,
      secret_path: this.secretPath(id),
      state: 'pending',
      createdAt: new Date(),
    });
    try {
      await this.store.write(id, stored);
    } catch (err) {
      await this.secrets.deleteById(id);
      throw err;
    }
    await this.secrets.updateById(id, {state: 'ready'});
    return this.secrets.findById(id);
  }

  async update(id: string, patch: SecretPatch): Promise<Secret> {
    const secret = await this.secrets.findById(id);
    const {value, ...metadata} = patch;
    const stored = value === undefined ? undefined : this.toStored(secret.type, value);
    assertMountPath(secret.type, metadata.mount_path);
    if (stored !== undefined) await this.store.write(id, stored);
    if (Object.keys(metadata).length > 0) await this.secrets.updateById(id, metadata);
    return this.secrets.findById(id);
  }

  async remove(id: string): Promise<void> {
    await this.secrets.updateById(id, {state: 'deleting'});
    try {
      await this.store.remove(id);
    } catch (err) {
      await this.secrets.updateById(id, {state: 'ready'});
      throw err;
    }
    await this.secrets.deleteById(id);
    await this.sharing.forget('secret', id);
  }

  /** Finishes what a crash left half-done: records `pending` or `deleting` for too long, with their values. */
  async sweepAbandoned(now = new Date()): Promise<number> {
    const abandoned = await this.secrets.find({
      where: {state: {inq: ['pending', 'deleting']}, createdAt: {lt: new Date(now.getTime() - ABANDONED_AFTER_MS)}},
    });
    for (const secret of abandoned) {
      await this.store.remove(secret._id!);
      await this.secrets.deleteById(secret._id);
      await this.sharing.forget('secret', secret._id!);
    }
    return abandoned.length;
  }

  private secretPath(id: string): string {
    const {engine, vault} = this.config.secrets;
    return engine === 'vault' ? `${vault.mount}/${vault.pathPrefix}/${id}` : `local/${id}`;
  }

  /** 400 when the value does not fit its type or the size limit; the value itself is never quoted. */
  private toStored(type: SecretType, value: SecretValue): StoredSecret {
    let stored: StoredSecret;
    if (type === 'raw') {
      if (typeof value !== 'string') throw new HttpErrors.BadRequest('A raw secret\'s value must be a string (the file content)');
      stored = {content: value};
    } else {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new HttpErrors.BadRequest('An env_var secret\'s value must be an object of variable names to strings');
      }
      const names = Object.keys(value);
      if (names.length === 0 || names.length > MAX_PAIRS) {
        throw new HttpErrors.BadRequest(`An env_var secret holds 1 to ${MAX_PAIRS} variables`);
      }
      const refused: FieldProblem[] = names.flatMap(name => {
        const reason = forbiddenEnvName(name);
        const shown = JSON.stringify(name.slice(0, 100));
        return reason ? [{path: fieldPointer('value', name.slice(0, 100)), code: 'envName', message: `the variable ${shown} is not allowed: ${reason}`}] : [];
      });
      if (refused.length > 0) throw invalidFields(refused);
      for (const name of names) {
        if (typeof value[name] !== 'string') throw new HttpErrors.BadRequest(`The value of ${name} must be a string`);
        if (value[name].includes('\0')) throw new HttpErrors.BadRequest(`The value of ${name} contains a NUL character`);
      }
      stored = {...value};
    }
    if (Buffer.byteLength(JSON.stringify(stored)) > this.config.secrets.maxBytes) {
      throw new HttpErrors.BadRequest(`The value is larger than SECRET_MAX_BYTES (${this.config.secrets.maxBytes} bytes)`);
    }
    return stored;
  }
}

/** 400 naming mount_path unless it is absent, or a raw secret's path relative to ~/.secrets (the request schema says so too). */
function assertMountPath(type: SecretType, mountPath: string | undefined): void {
  if (mountPath === undefined) return;
  if (type !== 'raw') {
    throw invalidFields([{path: '/mount_path', code: 'rawOnly', message: `only raw secrets have a mount_path, this one is ${type}`}]);
  }
  if (mountPath.length > SECRET_PATH_MAX_LENGTH || !SECRET_PATH.test(mountPath)) {
    throw invalidFields([
      {path: '/mount_path', code: 'pattern', message: 'must be a path relative to ~/.secrets, e.g. aws/credentials, without . or .. segments'},
    ]);
  }
}

function fromStored(type: SecretType, stored: StoredSecret): SecretValue {
  return type === 'raw' ? stored.content ?? '' : stored;
}
