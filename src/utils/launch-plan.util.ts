/**
 * The rules of the launch plan's contract
 * (hub/notebooks_hub_spawner/launch_plan.schema.json) that the API applies
 * while it builds a plan: the spawner refuses a whole plan that breaks one,
 * so what would break it is left out instead. Unit tests hold these and the
 * input rules they reuse equal to the contract file.
 */

import {RELATIVE_PATH_MAX_LENGTH, RELATIVE_PATH_PATTERN, SECRET_PATH_MAX_LENGTH, SECRET_PATH_PATTERN} from '../validation';
import {forbiddenEnvName} from './env-name.util';

export const MODULE_OWNER_PATTERN = '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$';
export const MODULE_OWNER_MAX_LENGTH = 254;

// The 'u' flag, as JSON Schema validators compile patterns.
const SECRET_PATH = new RegExp(SECRET_PATH_PATTERN, 'u');
const RELATIVE_PATH = new RegExp(RELATIVE_PATH_PATTERN, 'u');
const MODULE_OWNER = new RegExp(MODULE_OWNER_PATTERN, 'u');

export function isSettableEnvName(name: string): boolean {
  return forbiddenEnvName(name) === undefined;
}

/** A raw secret's file, relative to the person's secrets folder. */
export function isSecretPath(value: string): boolean {
  return value.length <= SECRET_PATH_MAX_LENGTH && SECRET_PATH.test(value);
}

/** A path under the home folder: relative, without `..`. */
export function isRelativePath(value: string): boolean {
  return value.length <= RELATIVE_PATH_MAX_LENGTH && RELATIVE_PATH.test(value);
}

export function isModuleOwner(value: string): boolean {
  return value.length <= MODULE_OWNER_MAX_LENGTH && MODULE_OWNER.test(value);
}

/**
 * Where a raw secret's file goes: its mount_path when that is a plain
 * relative path, else a file named after the secret, else after its id
 * (a name made only of dots, or already taken by another secret of the plan).
 */
export function secretFilePath(secret: {id: string; secretName: string; mountPath?: string}, taken: ReadonlySet<string>): string {
  const candidates = [secret.mountPath, secret.secretName.replace(/[^A-Za-z0-9._-]/g, '_')];
  for (const candidate of candidates) {
    if (candidate !== undefined && isSecretPath(candidate) && !taken.has(candidate)) return candidate;
  }
  return secret.id;
}
