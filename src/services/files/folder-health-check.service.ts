import {constants, promises as fs} from 'node:fs';
import type {HealthCheck} from '../../types/health-check';

/**
 * A folder the API writes to must exist, be a folder and be writable. The
 * answer names the check, never the folder's path: the check's name tells
 * which setting to look at.
 */
export class FolderHealthCheck implements HealthCheck {
  constructor(
    readonly name: string,
    private readonly folder: string,
  ) {}

  async check(): Promise<void> {
    let stats;
    try {
      stats = await fs.stat(this.folder);
    } catch {
      throw new Error('the folder does not exist');
    }
    if (!stats.isDirectory()) throw new Error('it is not a folder');
    try {
      await fs.access(this.folder, constants.W_OK);
    } catch {
      throw new Error('the folder is not writable');
    }
  }
}
