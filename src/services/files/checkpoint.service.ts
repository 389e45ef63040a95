import {BindingScope, inject, injectable} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {ConfinedFolder, isExecutable, isForeignNameOfOwnFile, readChunks, timeOrderedId, writeAll} from '../../utils/confined-folder.util';

/** Name of the folder, beside each file, that holds its checkpoints: `.checkpoints/{name}/{id}`. */
export const CHECKPOINTS = '.checkpoints';

export interface Checkpoint {
  id: string;
  size: number;
  last_modified: string;
}

/**
 * Earlier versions of files. Every operation takes the file's parent as an
 * open ConfinedFolder; the checkpoints folder and its entries are opened
 * from it without following links, and only regular files of at most
 * FILE_READ_MAX_BYTES are ever read back.
 */
@injectable({scope: BindingScope.SINGLETON})
export class CheckpointService {
  constructor(@inject(AppBindings.CONFIG) private readonly config: AppConfig) {}

  /**
   * Replaces `name` by what `put` writes there, keeping the current file
   * (if any) as a checkpoint first and pruning the oldest after.
   */
  async replace(parent: ConfinedFolder, name: string, put: () => Promise<void>): Promise<void> {
    const current = await parent.lstat(name);
    if (!current) return put();
    if (current.isSymbolicLink()) throw new HttpErrors.BadRequest(`${parent.describe(name)} is a symlink; symlinks are not followed`);
    if (!current.isFile()) throw new HttpErrors.Conflict(`${parent.describe(name)} exists and is not a file`);
    await this.inCheckpoints(parent, name, true, async checkpoints => {
      await this.keep(parent, name, checkpoints);
      await put();
      await this.prune(checkpoints);
    });
  }

  /** The checkpoints of `name`, newest first; none when there are none. */
  async list(parent: ConfinedFolder, name: string): Promise<Checkpoint[]> {
    try {
      return await this.inCheckpoints(parent, name, false, async checkpoints =>
        (await checkpoints.list())
          .filter(entry => entry.stats.isFile())
          .map(({name: id, stats}) => ({id, size: stats.size, last_modified: stats.mtime.toISOString()}))
          .sort((a, b) => b.id.localeCompare(a.id)),
      );
    } catch (err) {
      if (err instanceof HttpErrors.NotFound) return [];
      throw err;
    }
  }

  /** Keeps a copy of the file as it is now. */
  async create(parent: ConfinedFolder, name: string): Promise<Checkpoint> {
    return this.inCheckpoints(parent, name, true, async checkpoints => {
      const id = await this.copy(parent, name, checkpoints);
      await this.prune(checkpoints);
      const stats = (await checkpoints.lstat(id))!;
      return {id, size: stats.size, last_modified: stats.mtime.toISOString()};
    });
  }

  async remove(parent: ConfinedFolder, name: string, id: string): Promise<void> {
    await this.inCheckpoints(parent, name, false, async checkpoints => {
      if (!(await checkpoints.lstat(id))?.isFile()) throw new HttpErrors.NotFound();
      await checkpoints.unlink(id);
    }).catch(err => {
      throw err instanceof HttpErrors.NotFound ? new HttpErrors.NotFound(`No checkpoint ${id} of ${parent.describe(name)}`) : err;
    });
  }

  /** Puts a checkpoint back; the content it replaces becomes a checkpoint itself. */
  async restore(parent: ConfinedFolder, name: string, id: string): Promise<void> {
    const maxBytes = this.config.files.readMaxBytes;
    await this.inCheckpoints(parent, name, false, async checkpoints => {
      const {handle, stats} = await checkpoints.openFile(id, maxBytes);
      try {
        // A program of a module comes back runnable, as it was kept.
        await this.replace(parent, name, () => parent.writeFile(name, readChunks(handle, maxBytes), {executable: isExecutable(stats)}));
      } finally {
        await handle.close();
      }
    }).catch(err => {
      throw err instanceof HttpErrors.NotFound ? new HttpErrors.NotFound(`No checkpoint ${id} of ${parent.describe(name)}`) : err;
    });
  }

  /** Takes the checkpoints of a moved file along, unless the target has its own. */
  async moveAlong(from: ConfinedFolder, name: string, to: ConfinedFolder, toName: string): Promise<void> {
    if (!(await from.lstat(CHECKPOINTS))?.isDirectory()) return;
    await from.within([CHECKPOINTS], {}, async source => {
      if (!(await source.lstat(name))?.isDirectory()) return;
      await to.within([CHECKPOINTS], {create: true}, async target => {
        if (!(await target.lstat(toName))) await source.move(name, target, toName);
      });
    });
  }

  private inCheckpoints<T>(parent: ConfinedFolder, name: string, create: boolean, work: (checkpoints: ConfinedFolder) => Promise<T>): Promise<T> {
    return parent.within([CHECKPOINTS, name], {create}, work);
  }

  /**
   * The current file becomes a checkpoint by a second name (no copy): the
   * write that follows renames a new file over `name`, so the checkpoint
   * keeps the old content alone. Where the kernel refuses the link (a file
   * the API does not own, under protected_hardlinks), it is copied.
   */
  private async keep(parent: ConfinedFolder, name: string, checkpoints: ConfinedFolder): Promise<void> {
    // A hard link to a file of the API's is not the person's content: it is replaced, not kept.
    const stats = await parent.lstat(name);
    if (stats && isForeignNameOfOwnFile(stats)) return;
    if (!(await parent.link(name, checkpoints, timeOrderedId()))) await this.copy(parent, name, checkpoints);
  }

  private async copy(parent: ConfinedFolder, name: string, checkpoints: ConfinedFolder): Promise<string> {
    const maxBytes = this.config.files.readMaxBytes;
    const {handle} = await parent.openFile(name, maxBytes);
    const id = timeOrderedId();
    try {
      await checkpoints.createFile(id, target => writeAll(target, readChunks(handle, maxBytes)));
    } finally {
      await handle.close();
    }
    return id;
  }

  private async prune(checkpoints: ConfinedFolder): Promise<void> {
    const ids = (await checkpoints.list()).map(entry => entry.name).sort().reverse();
    for (const id of ids.slice(this.config.files.checkpointsKept)) await checkpoints.removeTree(id);
  }
}
