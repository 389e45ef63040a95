import {BindingScope, inject, injectable} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {ConfinedFolder, CreationRules, errnoOf} from '../../utils/confined-folder.util';
import {spawnerAccount} from '../../utils/system-account.util';

/** Name of the folder, in each root, where deleted things wait to be purged or restored. */
export const TRASH_FOLDER = '.trash';

/**
 * Modules are published to every user's server: readable by all, whatever
 * FILE_MODE says, and their programs runnable by all (never setuid or
 * setgid: these are the only modes given).
 */
const PUBLISHED: CreationRules = {folderMode: 0o755, fileMode: 0o644, executableMode: 0o755};
/**
 * A dataset is reached only through the mounts the API decides (its root is
 * closed to everyone else), and each server runs as its own account: what
 * is in it is readable and writable by any account that has it mounted,
 * the mount saying read-only or not.
 */
const SHARED_DATA: CreationRules = {folderMode: 0o777, fileMode: 0o666};

/**
 * Every folder the API manages is reached through here, as a ConfinedFolder
 * opened from its configured root: homes (HOMES_ROOT/{hub user}), datasets
 * and modules. Nothing below a root is reached by path name, so no symlink
 * or concurrent rename there can lead out of it.
 */
@injectable({scope: BindingScope.SINGLETON})
export class FileSystemService {
  private readonly userData: CreationRules;

  constructor(@inject(AppBindings.CONFIG) private readonly config: AppConfig) {
    const {modes} = config.files;
    this.userData = {folderMode: modes.folder, fileMode: modes.file};
  }

  /** The absolute path of `segments` under `root`, for the API's own files; 400 if it would leave the root. */
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

  /**
   * Runs `work` in a hub user's home, created (HOMES_MODE) when asked. With
   * HOMES_OWNER=hub-user and the API running as root, what is created in it
   * belongs to the home's owner, and a home the API creates to the account
   * the hub's local spawner runs that person's servers as, once it exists.
   */
  async inHome<T>(username: string, options: {create: boolean}, work: (home: ConfinedFolder) => Promise<T>): Promise<T> {
    const adopt = this.config.files.homesOwner === 'hub-user' && process.getuid?.() === 0;
    const owner = adopt && options.create ? await spawnerAccount(username) : undefined;
    const homes = await ConfinedFolder.openTrusted(this.config.homesRoot, this.userData);
    try {
      const home = await homes.folder(username, {create: options.create, mode: this.config.files.modes.home, owner});
      try {
        if (adopt) {
          const {uid, gid} = await home.stat();
          home.rules = {...this.userData, owner: {uid, gid}};
        }
        return await work(home);
      } finally {
        await home.close();
      }
    } finally {
      await homes.close();
    }
  }

  /** Creates a hub user's home when missing; answers whether it did. */
  async ensureHome(username: string): Promise<boolean> {
    const existed = await this.inFolder(this.config.homesRoot, [], {create: false}, homes => homes.lstat(username));
    await this.inHome(username, {create: true}, async () => undefined);
    return existed === undefined;
  }

  private rulesOf(root: string): CreationRules {
    if (root === this.config.modulesRoot) return PUBLISHED;
    return root === this.config.datasetsRoot ? SHARED_DATA : this.userData;
  }

  /** Runs `work` in the folder `segments` below a configured root (a dataset's, a module's). */
  async inFolder<T>(root: string, segments: string[], options: {create: boolean}, work: (folder: ConfinedFolder) => Promise<T>): Promise<T> {
    const top = await ConfinedFolder.openTrusted(root, this.rulesOf(root));
    try {
      return await top.within(segments, options, work);
    } finally {
      await top.close();
    }
  }

  /** Creates a new, empty folder; its parents are created as needed. */
  async createFolder(root: string, ...segments: string[]): Promise<void> {
    await this.inFolder(root, segments.slice(0, -1), {create: true}, async parent => {
      if (await parent.lstat(segments[segments.length - 1])) {
        throw new HttpErrors.Conflict(`${parent.describe(segments[segments.length - 1])} already exists`);
      }
      await (await parent.folder(segments[segments.length - 1], {create: true})).close();
    });
  }

  /** Writes a file by a temporary file in the same folder, flushed and renamed over the old one. */
  async writeFileAtomically(content: string | Buffer, root: string, ...segments: string[]): Promise<void> {
    await this.inFolder(root, segments.slice(0, -1), {create: true}, parent =>
      parent.writeFile(segments[segments.length - 1], content),
    );
  }

  async removeFile(root: string, ...segments: string[]): Promise<void> {
    await this.inParent(root, segments, (parent, name) => parent.unlink(name));
  }

  /** Moves a file or folder, creating the target's parents; the target must not exist. */
  async move(root: string, from: string[], to: string[]): Promise<void> {
    await this.inFolder(root, from.slice(0, -1), {create: false}, source =>
      this.inFolder(root, to.slice(0, -1), {create: true}, target =>
        source.move(from[from.length - 1], target, to[to.length - 1]),
      ),
    );
  }

  /** Deletes for good; only the trash is ever purged this way. */
  async purgeFromTrash(root: string, ...segments: string[]): Promise<void> {
    await this.inParent(root, [TRASH_FOLDER, ...segments], (parent, name) => parent.removeTree(name));
  }

  /** Removes a folder only if it is empty (undoing a creation). */
  async removeEmptyFolder(root: string, ...segments: string[]): Promise<void> {
    await this.inParent(root, segments, (parent, name) => parent.removeEmptyFolder(name));
  }

  /**
   * The content of a private file of the API's own (mode 0600), made by
   * `create` on first use. Two processes racing to create it end up with the
   * same content.
   */
  async readOrCreatePrivate(file: string, create: () => string): Promise<string> {
    try {
      return await fs.readFile(file, 'utf8');
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
    const content = create();
    await fs.mkdir(path.dirname(file), {recursive: true});
    try {
      await fs.writeFile(file, content, {mode: 0o600, flag: 'wx'});
      return content;
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw err;
      return fs.readFile(file, 'utf8');
    }
  }

  /** Runs `work` on the parent of `segments` if it exists; a missing parent means nothing to do. */
  private async inParent(root: string, segments: string[], work: (parent: ConfinedFolder, name: string) => Promise<void>): Promise<void> {
    try {
      await this.inFolder(root, segments.slice(0, -1), {create: false}, parent => work(parent, segments[segments.length - 1]));
    } catch (err) {
      if (!(err instanceof HttpErrors.NotFound)) throw err;
    }
  }
}

/** uid and gid of a system user from /etc/passwd; undefined when there is none. */
