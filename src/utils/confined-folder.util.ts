import {HttpErrors} from '@loopback/rest';
import {randomBytes} from 'node:crypto';
import {constants, promises as fs, Stats} from 'node:fs';
import type {FileHandle} from 'node:fs/promises';
import {peerError} from './api-error.util';

const {O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK} = constants;
const FOLDER_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
/** O_NONBLOCK: opening a FIFO someone planted must not hang the request. */
const READ_FLAGS = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
const CREATE_FLAGS = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
const NAME_MAX_BYTES = 255;
const CHUNK_BYTES = 64 * 1024;
const LINK_ATTEMPTS = 5;
/** Looks at a hard link to a file of the API's 5 times, over 150 ms, before refusing it. */
const OWN_LINK_ATTEMPTS = 5;
/** Deeper trees than this are left alone by removeTree: each level holds one descriptor. */
const REMOVE_MAX_DEPTH = 128;

/** The name of a temporary file writeFile leaves behind only if the API was killed mid-write. */
const TEMPORARY_NAME = /^\.~[0-9a-f]{16}\.tmp$/;
/** A temporary file untouched this long belongs to no write under way. */
const TEMPORARY_ABANDONED_MS = 10 * 60 * 1000;

/** Whether an entry is a temporary file of writeFile's that a killed API left behind. */
export function isAbandonedTemporary({name, stats}: FolderEntry, now = Date.now()): boolean {
  return TEMPORARY_NAME.test(name) && stats.isFile() && now - stats.mtimeMs > TEMPORARY_ABANDONED_MS;
}

/** What the API gives what it creates: exact modes (umask aside) and, optionally, an owner. */
export interface CreationRules {
  folderMode: number;
  fileMode: number;
  /** The mode of files written as executable; absent: they get fileMode like any other. */
  executableMode?: number;
  owner?: {uid: number; gid: number};
}

/** How a file is written: `executable` asks for the rules' executableMode. */
export interface FileOptions {
  executable?: boolean;
}

export interface FolderEntry {
  name: string;
  stats: Stats;
}

/**
 * An open folder, and every file operation relative to it. Linux has no
 * `openat` in Node, but `/proc/self/fd/<fd>/<name>` is resolved from the
 * folder the descriptor holds, whatever its path has become since: a folder
 * renamed away or swapped for a symlink after it was opened cannot redirect
 * what is done in it. Each name is one checked segment and every open uses
 * O_NOFOLLOW, so no symlink is followed at any position, and walking a path
 * opens one folder at a time from the previous one. Renames, links and
 * unlinks go through the same parent descriptors.
 */
export class ConfinedFolder {
  private constructor(
    private readonly handle: FileHandle,
    /** The path from the root, for messages: never an absolute path. */
    readonly relative: string[],
    /** How what is created in this folder is made; a home adopts its owner's. */
    public rules: CreationRules,
  ) {}

  /**
   * Opens a configured root (HOMES_ROOT, DATASETS_ROOT, MODULES_ROOT): set by
   * the operator, so followed even if it is a symlink, and created if missing.
   */
  static async openTrusted(dir: string, rules: CreationRules): Promise<ConfinedFolder> {
    // Made at start-up; made again only if it went missing since, not on every request.
    const open = () => fs.open(dir, O_RDONLY | O_DIRECTORY);
    try {
      return new ConfinedFolder(await open(), [], rules);
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw storageError(err) ?? err;
      await fs.mkdir(dir, {recursive: true});
      return new ConfinedFolder(await open(), [], rules);
    }
  }

  /** The path of `name` in this folder, resolved from the open descriptor. */
  entry(name: string): string {
    return `/proc/self/fd/${this.handle.fd}/${checkedName(name)}`;
  }

  /** Where `name` is, relative to the root, for messages. */
  describe(name?: string): string {
    return [...this.relative, ...(name === undefined ? [] : [name])].join('/') || '/';
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  async stat(): Promise<Stats> {
    return this.handle.stat();
  }

  /** The sub-folder `name`, created with the folder mode when asked and missing. */
  async folder(name: string, options: {create?: boolean; mode?: number; owner?: CreationRules['owner']} = {}): Promise<ConfinedFolder> {
    let created = false;
    if (options.create) {
      try {
        await fs.mkdir(this.entry(name), 0o700);
        created = true;
      } catch (err) {
        if (errnoOf(err) !== 'EEXIST') throw fileError(err, this.describe(name));
      }
    }
    let handle: FileHandle;
    try {
      handle = await fs.open(this.entry(name), FOLDER_FLAGS);
    } catch (err) {
      throw fileError(err, this.describe(name), 'folder');
    }
    const folder = new ConfinedFolder(handle, [...this.relative, name], this.rules);
    if (created) {
      try {
        await folder.apply(handle, options.mode ?? this.rules.folderMode, options.owner);
      } catch (err) {
        await handle.close();
        throw fileError(err, this.describe(name));
      }
    }
    return folder;
  }

  /**
   * Runs `work` in the folder `segments` below this one, opened one segment
   * at a time (created when asked), and closes what it opened.
   */
  async within<T>(segments: string[], options: {create?: boolean}, work: (folder: ConfinedFolder) => Promise<T>): Promise<T> {
    if (segments.length === 0) return work(this);
    let current = await this.folder(segments[0], options);
    try {
      for (const segment of segments.slice(1)) {
        const next = await current.folder(segment, options);
        await current.close();
        current = next;
      }
      return await work(current);
    } finally {
      await current.close();
    }
  }

  /** The entry's own stats (a symlink is reported as one), or undefined when missing. */
  async lstat(name: string): Promise<Stats | undefined> {
    try {
      return await fs.lstat(this.entry(name));
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return undefined;
      throw fileError(err, this.describe(name));
    }
  }

  /** Every entry with its own stats; entries that vanish meanwhile are left out. */
  async list(): Promise<FolderEntry[]> {
    let names: string[];
    try {
      names = await fs.readdir(`/proc/self/fd/${this.handle.fd}`);
    } catch (err) {
      throw fileError(err, this.describe());
    }
    const entries: FolderEntry[] = [];
    for (const name of names) {
      const stats = await this.lstat(name);
      if (stats) entries.push({name, stats});
    }
    return entries;
  }

  /** Opens a regular file for reading: a symlink, a device, a FIFO, a folder or a hard link to a file of the API is refused. */
  async openFile(name: string, maxBytes?: number): Promise<{handle: FileHandle; stats: Stats}> {
    for (let attempt = 1; ; attempt++) {
      const opened = await this.openOnce(name, maxBytes, attempt === OWN_LINK_ATTEMPTS);
      if (opened) return opened;
      // The API's own write links the file it replaces as a checkpoint for as long as the
      // new content takes to write: then the name holds a file of one name again.
      await new Promise(resolve => setTimeout(resolve, 5 * 2 ** attempt));
    }
  }

  /** Undefined, while `last` is false, for a file of the API's with another name. */
  private async openOnce(name: string, maxBytes: number | undefined, last: boolean): Promise<{handle: FileHandle; stats: Stats} | undefined> {
    let handle: FileHandle;
    try {
      handle = await fs.open(this.entry(name), READ_FLAGS);
    } catch (err) {
      throw fileError(err, this.describe(name));
    }
    const stats = await handle.stat();
    if (!last && isForeignNameOfOwnFile(stats)) {
      await handle.close();
      return undefined;
    }
    const problem = !stats.isFile()
      ? new HttpErrors.Conflict(`${this.describe(name)} is ${stats.isDirectory() ? 'a folder' : 'not a regular file'}`)
      : isForeignNameOfOwnFile(stats)
        ? new HttpErrors.Forbidden(`${this.describe(name)} is a hard link to a file owned by the API (it has ${stats.nlink} names): it is neither read nor copied`)
        : maxBytes !== undefined && stats.size > maxBytes
          ? new HttpErrors.PayloadTooLarge(`${this.describe(name)} is larger than FILE_READ_MAX_BYTES (${maxBytes} bytes)`)
          : undefined;
    if (problem) {
      await handle.close();
      throw problem;
    }
    return {handle, stats};
  }

  /** The content of a regular file of at most `maxBytes`. */
  async readFile(name: string, maxBytes: number): Promise<Buffer> {
    const {handle} = await this.openFile(name, maxBytes);
    try {
      return await this.readOpened(handle, maxBytes, name);
    } finally {
      await handle.close();
    }
  }

  /** The content of a file opened by openFile: at most `maxBytes`, though it may have grown since it was measured. */
  async readOpened(handle: FileHandle, maxBytes: number, name: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of readChunks(handle, maxBytes + 1)) {
      chunks.push(chunk);
      size += chunk.length;
    }
    if (size > maxBytes) {
      throw new HttpErrors.PayloadTooLarge(`${this.describe(name)} is larger than FILE_READ_MAX_BYTES (${maxBytes} bytes)`);
    }
    return Buffer.concat(chunks, size);
  }

  /**
   * Creates `name`, which must not exist, and hands its open handle to
   * `fill`; on failure the file is removed.
   */
  async createFile(name: string, fill: (handle: FileHandle) => Promise<void>, options: FileOptions = {}): Promise<void> {
    let handle: FileHandle;
    try {
      handle = await fs.open(this.entry(name), CREATE_FLAGS, 0o600);
    } catch (err) {
      throw fileError(err, this.describe(name));
    }
    try {
      const {executableMode, fileMode} = this.rules;
      await this.apply(handle, options.executable && executableMode !== undefined ? executableMode : fileMode);
      await fill(handle);
      await handle.sync();
    } catch (err) {
      await handle.close();
      await fs.unlink(this.entry(name)).catch(() => undefined);
      throw err;
    }
    await handle.close();
  }

  /**
   * Replaces `name` atomically: a temporary file in this folder, flushed,
   * then renamed over it. Content is bytes, text, or a stream.
   */
  async writeFile(name: string, content: FileContent, options: FileOptions = {}): Promise<void> {
    const temporary = `.~${randomBytes(8).toString('hex')}.tmp`;
    await this.createFile(
      temporary,
      async handle => {
        if (Buffer.isBuffer(content)) await handle.writeFile(content);
        else if (typeof content === 'string') await writeText(handle, content);
        else if (Array.isArray(content)) for (const part of content as readonly string[]) await writeText(handle, part);
        else await writeAll(handle, content as AsyncIterable<Uint8Array>);
      },
      options,
    );
    try {
      await fs.rename(this.entry(temporary), this.entry(name));
    } catch (err) {
      await fs.unlink(this.entry(temporary)).catch(() => undefined);
      throw fileError(err, this.describe(name));
    }
  }

  /**
   * A second name for a file (a symlink is linked, not followed); `toName`
   * must not exist. False where the kernel refuses: another filesystem, or
   * a file the API does not own under protected_hardlinks.
   */
  async link(name: string, to: ConfinedFolder, toName: string): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await fs.link(this.entry(name), to.entry(toName));
        return true;
      } catch (err) {
        const code = errnoOf(err);
        if (code === 'EPERM' || code === 'EXDEV') return false;
        // Linux will not link a file whose last name a concurrent rename has
        // just taken (ENOENT): link the file that now holds the name.
        if (code === 'ENOENT' && attempt < LINK_ATTEMPTS && (await this.lstat(name))) continue;
        throw fileError(err, this.describe(name));
      }
    }
  }

  /** Moves `name` to `to/toName`; the target must not exist. */
  async move(name: string, to: ConfinedFolder, toName: string): Promise<void> {
    if (await to.lstat(toName)) throw new HttpErrors.Conflict(`${to.describe(toName)} already exists`);
    try {
      await fs.rename(this.entry(name), to.entry(toName));
    } catch (err) {
      throw fileError(err, this.describe(name));
    }
  }

  /** Moves `name` to `to/toName`, replacing a file there (never a folder). */
  async moveOver(name: string, to: ConfinedFolder, toName: string): Promise<void> {
    try {
      await fs.rename(this.entry(name), to.entry(toName));
    } catch (err) {
      throw fileError(err, to.describe(toName));
    }
  }

  async unlink(name: string): Promise<void> {
    try {
      await fs.unlink(this.entry(name));
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw fileError(err, this.describe(name));
    }
  }

  /** Removes a folder only if it is empty. */
  async removeEmptyFolder(name: string): Promise<void> {
    await fs.rmdir(this.entry(name)).catch(() => undefined);
  }

  /**
   * Deletes `name` and, if it is a folder, everything in it, each level
   * opened from the one above without following links.
   */
  async removeTree(name: string, depth = 0): Promise<void> {
    const stats = await this.lstat(name);
    if (!stats) return;
    if (!stats.isDirectory()) return this.unlink(name);
    if (depth >= REMOVE_MAX_DEPTH) {
      throw new HttpErrors.Conflict(`${this.describe(name)} is nested more than ${REMOVE_MAX_DEPTH} folders deep`);
    }
    await this.within([name], {}, async folder => {
      for (const entry of await folder.list()) await folder.removeTree(entry.name, depth + 1);
    });
    try {
      await fs.rmdir(this.entry(name));
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw fileError(err, this.describe(name));
    }
  }

  /** Exact mode (umask aside) and owner of something this folder's rules created. */
  private async apply(handle: FileHandle, mode: number, owner = this.rules.owner): Promise<void> {
    await handle.chmod(mode);
    if (owner) await handle.chown(owner.uid, owner.gid);
  }
}

/**
 * Reads a file from its start, at most `maxBytes`. Loops over the handle
 * rather than a stream: a stream made from a FileHandle holds a reference
 * that only its own close releases, so the handle could not be closed after.
 */
export async function* readChunks(handle: FileHandle, maxBytes: number): AsyncGenerator<Buffer> {
  let position = 0;
  while (position < maxBytes) {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, maxBytes - position));
    const {bytesRead} = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/** Writes every chunk of `source` at the end of what `handle` holds. */
/** What writeFile writes: bytes, text, text in parts (written one after the other), or a stream. */
export type FileContent = string | readonly string[] | Buffer | AsyncIterable<Uint8Array>;

/**
 * Writes text as UTF-8 from the string itself: Node encodes it into a
 * buffer freed once written, where a Buffer of it (writeFile's way) stays
 * for the garbage collector, a megabyte for a notebook. A short write goes
 * on from the bytes written.
 */
async function writeText(handle: FileHandle, text: string): Promise<void> {
  const length = Buffer.byteLength(text);
  let written = (await handle.write(text, null, 'utf8')).bytesWritten;
  let bytes: Buffer | undefined;
  while (written < length) {
    bytes ??= Buffer.from(text);
    written += (await handle.write(bytes, written)).bytesWritten;
  }
}

export async function writeAll(handle: FileHandle, source: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const chunk of source) {
    let written = 0;
    while (written < chunk.length) written += (await handle.write(chunk, written, chunk.length - written)).bytesWritten;
  }
}

/** One name inside a folder; anything else would let `/proc/self/fd/<fd>/…` leave it. */
function checkedName(name: string): string {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new HttpErrors.BadRequest(`"${name.replace(/\0/g, '\\0')}" is not an allowed file or folder name`);
  }
  if (Buffer.byteLength(name) > NAME_MAX_BYTES) {
    throw new HttpErrors.BadRequest(`File and folder names are at most ${NAME_MAX_BYTES} bytes`);
  }
  return name;
}

/** A name that sorts by creation time: the ISO time without `:` and `.`, and a random tail. */
export function timeOrderedId(): string {
  return `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
}

/** Whether a file's owner may run it: what marks a file executable. */
export function isExecutable(stats: Stats): boolean {
  return stats.isFile() && (stats.mode & 0o100) !== 0;
}

export function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

const STORAGE_FULL = new Set(['ENOSPC', 'EDQUOT']);
const STORAGE_REFUSED = new Set(['EACCES', 'EPERM', 'EROFS']);

/**
 * Whether an opened regular file is the API's own and has another name: a
 * hard link someone made in a home to a file of DATA_DIR (a key, the
 * database) would otherwise be read back or copied. Files the API writes
 * have one name, except for a moment while a checkpoint links one before
 * the write that replaces it.
 */
export function isForeignNameOfOwnFile(stats: Stats): boolean {
  return stats.isFile() && stats.nlink > 1 && stats.uid === process.getuid?.();
}

/**
 * An HTTP error for a storage failure (full: 507; not writable: 503), with
 * a message and no errno code or path; undefined for other errors.
 */
export function storageError(err: unknown): Error | undefined {
  const code = errnoOf(err);
  if (code !== undefined && STORAGE_FULL.has(code)) {
    return peerError('storage', new HttpErrors.InsufficientStorage('The storage is full: nothing was written; try again after space is freed'));
  }
  if (code !== undefined && STORAGE_REFUSED.has(code)) {
    return peerError('storage', new HttpErrors.ServiceUnavailable('The storage refused the operation (not writable): nothing was changed; an operator must fix its permissions'));
  }
  return undefined;
}

/** What a failed file operation means to the caller, naming the path from the root. */
export function fileError(err: unknown, where: string, expected: 'folder' | 'entry' = 'entry'): Error {
  if (HttpErrors.isHttpError(err)) return err;
  switch (errnoOf(err)) {
    case 'ELOOP':
      return new HttpErrors.BadRequest(`${where} is a symlink; symlinks are not followed`);
    case 'ENOTDIR':
      return new HttpErrors.BadRequest(expected === 'folder' ? `${where} is not a folder` : `A part of ${where} is not a folder`);
    case 'ENOENT':
      return new HttpErrors.NotFound(`${where} does not exist`);
    case 'EEXIST':
    case 'ENOTEMPTY':
      return new HttpErrors.Conflict(`${where} already exists`);
    case 'EISDIR':
      return new HttpErrors.Conflict(`${where} is a folder`);
    case 'EINVAL':
      return new HttpErrors.BadRequest(`${where} cannot be moved into itself`);
    case 'ENAMETOOLONG':
      return new HttpErrors.BadRequest(`${where} is too long`);
    default:
      return storageError(err) ?? (err as Error);
  }
}
