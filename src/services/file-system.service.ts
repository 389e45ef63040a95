import {BindingScope, injectable} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import {randomBytes} from 'node:crypto';
import {promises as fs} from 'node:fs';
import path from 'node:path';

/** Name of the folder, in each root, where deleted things wait to be purged or restored. */
export const TRASH_FOLDER = '.trash';

/**
 * Every change the API makes to the folders it manages goes through here,
 * confined to a root: a path that would resolve outside it is refused before
 * anything is touched, and files are replaced atomically.
 */
@injectable({scope: BindingScope.SINGLETON})
export class FileSystemService {
  /** The absolute path of `segments` under `root`; 400 if it would leave the root. */
  inside(root: string, ...segments: string[]): string {
    const base = path.resolve(root);
    for (const segment of segments) {
      if (segment === '' || segment.includes('\0') || segment === '.' || segment === '..' || /[/\\]/.test(segment)) {
        throw new HttpErrors.BadRequest(`"${segment.replace(/\0/g, '\\0')}" is not an allowed file or folder name`);
      }
    }
    const target = path.resolve(base, ...segments);
    if (target !== base && !target.startsWith(base + path.sep)) {
      throw new HttpErrors.BadRequest('The path leaves its root folder');
    }
    return target;
  }

  /** Creates a new, empty folder; its parents are created as needed. */
  async createFolder(root: string, ...segments: string[]): Promise<string> {
    const folder = this.inside(root, ...segments);
    await fs.mkdir(path.dirname(folder), {recursive: true});
    await fs.mkdir(folder);
    return folder;
  }

  /** Writes a file by a temporary file in the same folder, flushed and renamed over the old one. */
  async writeFileAtomically(content: string | Buffer, root: string, ...segments: string[]): Promise<string> {
    const file = this.inside(root, ...segments);
    await fs.mkdir(path.dirname(file), {recursive: true});
    const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await fs.open(temporary, 'wx', 0o644);
      try {
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temporary, file);
    } catch (err) {
      await fs.rm(temporary, {force: true});
      throw err;
    }
    return file;
  }

  async removeFile(root: string, ...segments: string[]): Promise<void> {
    await fs.rm(this.inside(root, ...segments), {force: true});
  }

  /** Moves a file or folder, creating the target's parents; the target must not exist. */
  async move(root: string, from: string[], to: string[]): Promise<void> {
    const source = this.inside(root, ...from);
    const target = this.inside(root, ...to);
    await fs.mkdir(path.dirname(target), {recursive: true});
    if (await this.exists(root, ...to)) {
      throw new HttpErrors.Conflict(`${to.join('/')} already exists`);
    }
    await fs.rename(source, target);
  }

  async exists(root: string, ...segments: string[]): Promise<boolean> {
    try {
      await fs.lstat(this.inside(root, ...segments));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** Deletes for good; only the trash is ever purged this way. */
  async purgeFromTrash(root: string, ...segments: string[]): Promise<void> {
    await fs.rm(this.inside(root, TRASH_FOLDER, ...segments), {recursive: true, force: true});
  }

  /**
   * The content of a private file (mode 0600), made by `create` on first use.
   * Two processes racing to create it end up with the same content.
   */
  async readOrCreatePrivate(file: string, create: () => string): Promise<string> {
    try {
      return await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const content = create();
    await fs.mkdir(path.dirname(file), {recursive: true});
    try {
      await fs.writeFile(file, content, {mode: 0o600, flag: 'wx'});
      return content;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return fs.readFile(file, 'utf8');
    }
  }

  /** Removes a folder only if it is empty (undoing a creation). */
  async removeEmptyFolder(root: string, ...segments: string[]): Promise<void> {
    await fs.rmdir(this.inside(root, ...segments)).catch(() => undefined);
  }
}
