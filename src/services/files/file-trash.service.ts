import {BindingScope, inject, injectable} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {ConfinedFolder, timeOrderedId} from '../../utils/confined-folder.util';
import {TRASH_FOLDER} from './file-system.service';

export interface TrashedFile {
  id: string;
  /** Where it was, relative to the root; restoring puts it back there. */
  path: string;
  type: 'directory' | 'file';
  deleted_at: string;
}

/** Each trashed thing: `.trash/{id}/item` and where it came from in `.trash/{id}/origin.json`. */
const ITEM = 'item';
const ORIGIN = 'origin.json';
const ORIGIN_MAX_BYTES = 16 * 1024;
const DAY_MS = 24 * 3600 * 1000;

/**
 * Deleted files and folders of a root (a home, a dataset): moved, not
 * destroyed, into the root's `.trash`, listed and restorable until
 * TRASH_RETENTION_DAYS have passed; expired ones are purged whenever that
 * root's trash is used.
 */
@injectable({scope: BindingScope.SINGLETON})
export class FileTrashService {
  constructor(@inject(AppBindings.CONFIG) private readonly config: AppConfig) {}

  /** Moves `parent/name` (at `path` in the root) to the trash; answers its entry. */
  async put(root: ConfinedFolder, parent: ConfinedFolder, name: string, path: string): Promise<TrashedFile> {
    const stats = await parent.lstat(name);
    if (!stats) throw new HttpErrors.NotFound(`${path} does not exist`);
    const entry: TrashedFile = {id: timeOrderedId(), path, type: stats.isDirectory() ? 'directory' : 'file', deleted_at: new Date().toISOString()};
    await this.inTrash(root, true, async trash => {
      await trash.within([entry.id], {create: true}, async folder => {
        await folder.writeFile(ORIGIN, JSON.stringify(entry));
        await parent.move(name, folder, ITEM);
      });
      await this.purgeExpired(trash);
    });
    return entry;
  }

  /** What is in the root's trash, newest first. */
  async list(root: ConfinedFolder): Promise<TrashedFile[]> {
    if (!(await root.lstat(TRASH_FOLDER))) return [];
    return this.inTrash(root, false, async trash => {
      await this.purgeExpired(trash);
      const found: TrashedFile[] = [];
      for (const {name, stats} of await trash.list()) {
        if (!stats.isDirectory()) continue;
        const entry = await this.read(trash, name);
        if (entry) found.push(entry);
      }
      return found.sort((a, b) => b.deleted_at.localeCompare(a.deleted_at) || b.id.localeCompare(a.id));
    });
  }

  /**
   * Takes an entry out of the trash: `place` receives the folder holding it,
   * the item's name there and the path it had, and moves it back.
   */
  async restore(root: ConfinedFolder, id: string, place: (holder: ConfinedFolder, item: string, path: string) => Promise<void>): Promise<TrashedFile> {
    const notFound = () => new HttpErrors.NotFound(`Nothing with id ${id} in the trash`);
    if (!(await root.lstat(TRASH_FOLDER))) throw notFound();
    return this.inTrash(root, false, async trash => {
      const entry = (await trash.lstat(id))?.isDirectory() ? await this.read(trash, id) : undefined;
      if (!entry) throw notFound();
      await trash.within([id], {}, holder => place(holder, ITEM, entry.path));
      await trash.removeTree(id);
      return entry;
    });
  }

  private inTrash<T>(root: ConfinedFolder, create: boolean, work: (trash: ConfinedFolder) => Promise<T>): Promise<T> {
    return root.within([TRASH_FOLDER], {create}, work);
  }

  /** An entry whose origin is readable; the user may have changed it, so it is checked again on use. */
  private async read(trash: ConfinedFolder, id: string): Promise<TrashedFile | undefined> {
    try {
      return await trash.within([id], {}, async folder => {
        const origin = JSON.parse((await folder.readFile(ORIGIN, ORIGIN_MAX_BYTES)).toString('utf8'));
        const item = await folder.lstat(ITEM);
        if (!item || typeof origin?.path !== 'string' || typeof origin?.deleted_at !== 'string') return undefined;
        return {id, path: origin.path, type: item.isDirectory() ? 'directory' : 'file', deleted_at: origin.deleted_at};
      });
    } catch {
      return undefined;
    }
  }

  private async purgeExpired(trash: ConfinedFolder): Promise<void> {
    const cutoff = Date.now() - this.config.trashRetentionDays * DAY_MS;
    for (const {name, stats} of await trash.list()) {
      const entry = stats.isDirectory() ? await this.read(trash, name) : undefined;
      const deletedAt = entry ? Date.parse(entry.deleted_at) : stats.mtimeMs;
      // An entry nested too deep to purge stays, and the others still go.
      if (deletedAt < cutoff) await trash.removeTree(name).catch(err => {
        if (!(err instanceof HttpErrors.Conflict)) throw err;
      });
    }
  }
}
