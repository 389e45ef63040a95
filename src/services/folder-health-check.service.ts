import {constants, promises as fs} from 'node:fs';
import {HealthCheck} from './health.service';

/** A folder the API writes to must exist, be a folder and be writable. */
export class FolderHealthCheck implements HealthCheck {
  constructor(
    readonly name: string,
    private readonly folder: string,
  ) {}

  async check(): Promise<Record<string, unknown>> {
    let stats;
    try {
      stats = await fs.stat(this.folder);
    } catch {
      throw new Error(`${this.folder} does not exist`);
    }
    if (!stats.isDirectory()) throw new Error(`${this.folder} is not a folder`);
    try {
      await fs.access(this.folder, constants.W_OK);
    } catch {
      throw new Error(`${this.folder} is not writable`);
    }
    return {path: this.folder};
  }
}
