import {BindingScope, inject, injectable, service} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import type {Stats} from 'node:fs';
import {AuthorizedResource, MODULE_ROOT_PREFIX} from '../../types/resource-access';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {normaliseEmail} from '../../validation';
import type {Caller} from '../identity/identity.service';
import {IdentityService} from '../identity/identity.service';
import {NotebookValidatorService} from './notebook-validator.service';
import {Checkpoint, CHECKPOINTS, CheckpointService} from './checkpoint.service';
import {ConfinedFolder, FileContent, isAbandonedTemporary, isExecutable} from '../../utils/confined-folder.util';
import {invalidFields} from '../../utils/api-error.util';
import {binariesOf} from '../../kinds/module/module.service';
import {FileSystemService, TRASH_FOLDER} from './file-system.service';
import {FileTrashService, TrashedFile} from './file-trash.service';

export const FILE_TYPES = ['notebook', 'file', 'directory'] as const;
export type FileType = (typeof FILE_TYPES)[number];
export const FILE_FORMATS = ['json', 'text', 'base64'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export interface FileRequest {
  type: FileType;
  name: string;
  /** Folder under the root, `a/b`; empty or absent: the root itself. */
  path?: string;
  /** `home` (default) or the id of a dataset the caller may write. */
  root?: string;
  content?: unknown;
  format?: 'text' | 'base64';
  /** A file in a module's binaries: written runnable (0755) rather than 0644. */
  executable?: boolean;
}

export interface FileEntry {
  name: string;
  path: string;
  root: string;
  type: FileType;
  size: number;
  last_modified: string;
  /** Files in a module's binaries: whether they are runnable. */
  executable?: boolean;
}

export interface FileModel extends FileEntry {
  content: null;
  link: string | null;
}

/** A file as the Jupyter contents API answers it: notebooks as JSON, text as text, other files base64, folders as their entries. */
export interface FileContentModel extends FileEntry {
  content: unknown;
  format: FileFormat | null;
  mimetype: string | null;
  link: string | null;
}

/** A root the caller may use: a home folder, a dataset's folder or a module's binaries folder. */
export interface VolumeRoot {
  label: string;
  /** The hub user whose home it is. */
  homeOf?: string;
  /** The dataset whose folder it is. */
  datasetId?: string;
  /** The module whose binaries folder it is. */
  moduleId?: string;
}

const SEGMENT_MAX = 255;
const PATH_MAX = 4096;
const UTF8 = new TextDecoder('utf-8', {fatal: true});
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The root a files route acts on for its caller: the dataset or module the authorizer decided on, else the caller's home. */
export function rootOf(caller: Caller, resource: AuthorizedResource | undefined): VolumeRoot {
  if (resource?.kind === 'module') return {label: `${MODULE_ROOT_PREFIX}${resource.id}`, moduleId: resource.id};
  if (resource) return {label: resource.id, datasetId: resource.id};
  return {label: 'home', homeOf: caller.username};
}

/**
 * Files in users' homes and datasets, every operation through the root's
 * ConfinedFolder: paths are checked (no `..`, absolute paths, control
 * characters, lone surrogates, over-long names, reserved folders) and then
 * walked one folder at a time without following links. Writes are atomic,
 * an overwritten file's previous content is kept as a checkpoint, and a
 * deleted file waits in the root's trash.
 */
@injectable({scope: BindingScope.SINGLETON})
export class VolumeService {
  constructor(
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @service(FileSystemService) private readonly files: FileSystemService,
    @service(CheckpointService) private readonly checkpointStore: CheckpointService,
    @service(FileTrashService) private readonly trash: FileTrashService,
    @service(IdentityService) private readonly identity: IdentityService,
    @service(NotebookValidatorService) private readonly notebooks: NotebookValidatorService,
  ) {}

  /**
   * The root a files route acts on: the dataset or module the authorizer
   * decided on, or else a home: the caller's, or with `email` (admins)
   * another person's.
   */
  root(caller: Caller, resource: AuthorizedResource | undefined, email?: string): VolumeRoot {
    if (resource !== undefined || email === undefined) return rootOf(caller, resource);
    const person = normaliseEmail(email);
    if (!person) throw new HttpErrors.BadRequest(`email "${email}" is not an email`);
    return {label: 'home', homeOf: this.identity.hubUsername(person)};
  }

  /** Writes a notebook, a file or a folder; an existing file becomes a checkpoint first. */
  async write(root: VolumeRoot, request: FileRequest): Promise<FileModel> {
    const folder = segmentsOf(request.path);
    const name = segmentsOf(request.name);
    if (name.length !== 1) throw new HttpErrors.BadRequest('name must be one file or folder name, without /');
    const executable = request.executable === true;
    if (executable && (request.type !== 'file' || root.moduleId === undefined)) {
      throw invalidFields([
        {path: '/executable', code: 'not_allowed', message: `only files in a module's binaries (root ${MODULE_ROOT_PREFIX}{id}) are made executable`},
      ]);
    }
    const data = this.contentOf(request);
    const segments = [...folder, ...name];
    const stats = await this.inRoot(root, true, dir =>
      dir.within(folder, {create: true}, async parent => {
        if (data === undefined) await (await parent.folder(name[0], {create: true})).close();
        else await this.checkpointStore.replace(parent, name[0], () => parent.writeFile(name[0], data, {executable}));
        return (await parent.lstat(name[0]))!;
      }),
    );
    return {...(await this.entryOf(root, segments, stats, request.type)), content: null, link: this.linkIn(root, segments)};
  }

  /**
   * Moves `source/name` (an unpacked upload, inside the same root) to
   * `segments`, like a write: folders created, an existing file kept as a
   * checkpoint.
   */
  async place(dir: ConfinedFolder, source: ConfinedFolder, name: string, segments: string[]): Promise<void> {
    const target = segments[segments.length - 1];
    await dir.within(segments.slice(0, -1), {create: true}, parent =>
      this.checkpointStore.replace(parent, target, () => source.moveOver(name, parent, target)),
    );
  }

  /** A file or folder with its content (`withContent` false: the model alone). */
  async read(root: VolumeRoot, filePath: string | undefined, withContent: boolean): Promise<FileContentModel> {
    const segments = segmentsOf(filePath);
    const link = this.linkIn(root, segments);
    return this.inRoot(root, false, async dir => {
      if (segments.length === 0) return {...(await this.folderModel(root, dir, [], withContent)), link};
      return dir.within(segments.slice(0, -1), {}, async parent => {
        const name = segments[segments.length - 1];
        const stats = await parent.lstat(name);
        if (!stats) throw new HttpErrors.NotFound(`${segments.join('/')} does not exist in ${root.label}`);
        if (stats.isDirectory()) {
          return parent.within([name], {}, async folder => ({...(await this.folderModel(root, folder, segments, withContent)), link}));
        }
        const {handle, stats: opened} = await parent.openFile(name, withContent ? this.config.files.readMaxBytes : undefined);
        try {
          const entry = await this.entryOf(root, segments, opened);
          if (!withContent) return {...entry, content: null, format: null, mimetype: null, link};
          return {...entry, ...this.decode(entry, await parent.readOpened(handle, this.config.files.readMaxBytes, name)), link};
        } finally {
          await handle.close();
        }
      });
    });
  }

  async list(root: VolumeRoot, folderPath?: string): Promise<FileEntry[]> {
    const folder = segmentsOf(folderPath);
    try {
      return await this.inRoot(root, false, dir => dir.within(folder, {}, f => this.entriesOf(root, f, folder)));
    } catch (err) {
      // A home is made on first write: before that it is empty, not missing.
      if (err instanceof HttpErrors.NotFound && folder.length === 0) return [];
      throw err instanceof HttpErrors.NotFound ? new HttpErrors.NotFound(`No folder ${folder.join('/')} in ${root.label}`) : err;
    }
  }

  /** Moves a file or folder to the root's trash, from where it can be restored. */
  async remove(root: VolumeRoot, filePath: string): Promise<TrashedFile> {
    const segments = requiredSegments(filePath);
    return this.inRoot(root, false, dir =>
      dir.within(segments.slice(0, -1), {}, parent => this.trash.put(dir, parent, segments[segments.length - 1], segments.join('/'))),
    );
  }

  listTrash(root: VolumeRoot): Promise<TrashedFile[]> {
    return this.inRoot(root, false, dir => this.trash.list(dir)).catch(err => {
      if (err instanceof HttpErrors.NotFound) return [];
      throw err;
    });
  }

  /** Puts a trashed file or folder back where it was; 409 if something is there now. */
  async restoreFromTrash(root: VolumeRoot, id: string): Promise<TrashedFile> {
    const [entryId] = requiredSegments(id);
    return this.inRoot(root, false, dir =>
      this.trash.restore(dir, entryId, async (holder, item, originalPath) => {
        const segments = requiredSegments(originalPath);
        await dir.within(segments.slice(0, -1), {create: true}, parent => holder.move(item, parent, segments[segments.length - 1]));
      }),
    );
  }

  /** Renames or moves within the root; the target must not exist. Checkpoints go along. */
  async move(root: VolumeRoot, filePath: string, newPath: string): Promise<FileModel> {
    const from = requiredSegments(filePath);
    const to = requiredSegments(newPath);
    const stats = await this.inRoot(root, false, dir =>
      dir.within(from.slice(0, -1), {}, source =>
        dir.within(to.slice(0, -1), {create: true}, async target => {
          const [name, newName] = [from[from.length - 1], to[to.length - 1]];
          await source.move(name, target, newName);
          await this.checkpointStore.moveAlong(source, name, target, newName);
          return (await target.lstat(newName))!;
        }),
      ),
    );
    return {...(await this.entryOf(root, to, stats)), content: null, link: this.linkIn(root, to)};
  }

  async checkpoints(root: VolumeRoot, filePath: string): Promise<Checkpoint[]> {
    return this.inParentOf(root, filePath, (parent, name) => this.checkpointStore.list(parent, name)).catch(err => {
      if (err instanceof HttpErrors.NotFound) return [];
      throw err;
    });
  }

  createCheckpoint(root: VolumeRoot, filePath: string): Promise<Checkpoint> {
    return this.inParentOf(root, filePath, (parent, name) => this.checkpointStore.create(parent, name));
  }

  deleteCheckpoint(root: VolumeRoot, filePath: string, id: string): Promise<void> {
    const [checkpointId] = requiredSegments(id);
    return this.inParentOf(root, filePath, (parent, name) => this.checkpointStore.remove(parent, name, checkpointId));
  }

  /** Puts a checkpoint back; the content it replaces becomes a checkpoint itself. */
  async restore(root: VolumeRoot, filePath: string, checkpointId: string): Promise<FileModel> {
    const segments = requiredSegments(filePath);
    const [id] = requiredSegments(checkpointId);
    const stats = await this.inParentOf(root, filePath, async (parent, name) => {
      await this.checkpointStore.restore(parent, name, id);
      return (await parent.lstat(name))!;
    });
    return {...(await this.entryOf(root, segments, stats)), content: null, link: this.linkIn(root, segments)};
  }

  /**
   * Opens a file of a home: the launcher's page, which signs its person in,
   * finds or starts a server of theirs (POST /volume/open) and goes to the
   * file there. It names no server, so it works whether or not one runs.
   */
  link(segments: string[]): string {
    const url = new URL(`${this.config.publicUrl}/`);
    if (segments.length > 0) url.searchParams.set('open', segments.join('/'));
    return url.href;
  }

  /**
   * Runs `work` in the root's folder (a home is created on first write, with
   * HOMES_MODE; a module's binaries folder exists from the module's creation).
   */
  inRoot<T>(root: VolumeRoot, create: boolean, work: (dir: ConfinedFolder) => Promise<T>): Promise<T> {
    if (root.homeOf !== undefined) return this.files.inHome(root.homeOf, {create}, work);
    if (root.moduleId !== undefined) return this.files.inFolder(this.config.modulesRoot, binariesOf(root.moduleId), {create: false}, work);
    return this.files.inFolder(this.config.datasetsRoot, [root.datasetId!], {create}, work);
  }

  private inParentOf<T>(root: VolumeRoot, filePath: string, work: (parent: ConfinedFolder, name: string) => Promise<T>): Promise<T> {
    const segments = requiredSegments(filePath);
    return this.inRoot(root, false, dir => dir.within(segments.slice(0, -1), {}, parent => work(parent, segments[segments.length - 1])));
  }

  private linkIn(root: VolumeRoot, segments: string[]): string | null {
    return root.homeOf === undefined ? null : this.link(segments);
  }

  private contentOf(request: FileRequest): FileContent | undefined {
    if (request.type === 'directory') return undefined;
    if (request.type === 'notebook') return this.notebooks.serialise(this.notebooks.parse(request.content));
    if (typeof request.content !== 'string') throw new HttpErrors.BadRequest('A file\'s content must be a string');
    return request.format === 'base64' ? Buffer.from(request.content, 'base64') : request.content;
  }

  private async folderModel(root: VolumeRoot, folder: ConfinedFolder, segments: string[], withContent: boolean) {
    const entry = await this.entryOf(root, segments, await folder.stat(), 'directory');
    return {...entry, content: withContent ? await this.entriesOf(root, folder, segments) : null, format: withContent ? ('json' as const) : null, mimetype: null};
  }

  /**
   * The visible files and folders of a folder (hidden ones, symlinks and
   * devices left out). Temporary files a killed API left here go as they are seen.
   */
  private async entriesOf(root: VolumeRoot, folder: ConfinedFolder, segments: string[]): Promise<FileEntry[]> {
    const listed = [];
    for (const entry of await folder.list()) {
      const {name, stats} = entry;
      if (isAbandonedTemporary(entry)) await folder.unlink(name).catch(() => undefined);
      if (name.startsWith('.') || !(stats.isFile() || stats.isDirectory())) continue;
      listed.push(await this.entryOf(root, [...segments, name], stats));
    }
    return listed.sort((a, b) => a.name.localeCompare(b.name));
  }

  private async entryOf(root: VolumeRoot, segments: string[], stats: Stats, type?: FileType): Promise<FileEntry> {
    const name = segments[segments.length - 1] ?? '';
    return {
      name,
      path: segments.join('/'),
      root: root.label,
      type: type ?? (stats.isDirectory() ? 'directory' : name.endsWith('.ipynb') ? 'notebook' : 'file'),
      size: stats.size,
      last_modified: stats.mtime.toISOString(),
      ...(root.moduleId !== undefined && stats.isFile() ? {executable: isExecutable(stats)} : {}),
    };
  }

  private decode(entry: FileEntry, bytes: Buffer): Pick<FileContentModel, 'content' | 'format' | 'mimetype'> {
    if (entry.type === 'notebook') {
      try {
        return {content: JSON.parse(bytes.toString('utf8')), format: 'json', mimetype: null};
      } catch {
        throw new HttpErrors.Conflict(`${entry.path} is not a readable notebook (invalid JSON)`);
      }
    }
    try {
      return {content: UTF8.decode(bytes), format: 'text', mimetype: 'text/plain'};
    } catch {
      return {content: bytes.toString('base64'), format: 'base64', mimetype: 'application/octet-stream'};
    }
  }
}

/** The segments of a relative path; 400 for anything that could leave the root or is not a name. */
export function segmentsOf(relative: string | undefined): string[] {
  if (relative === undefined || relative === '') return [];
  if (relative.length > PATH_MAX) throw new HttpErrors.BadRequest(`Paths are at most ${PATH_MAX} characters`);
  if (LONE_SURROGATE.test(relative)) throw new HttpErrors.BadRequest('Paths and names must be valid Unicode (a lone surrogate was sent)');
  if (relative.startsWith('/')) throw new HttpErrors.BadRequest('Absolute paths are not allowed: give a path relative to the root');
  if (relative.includes('\\')) throw new HttpErrors.BadRequest('Backslashes are not allowed in paths');
  const segments = relative.split('/').filter(segment => segment !== '');
  segments.forEach((segment, position) => {
    if (segment === '.' || segment === '..') throw new HttpErrors.BadRequest('. and .. are not allowed in paths');
    if ([...segment].some(char => char < ' ' || (char >= '\u007f' && char <= '\u009f'))) {
      throw new HttpErrors.BadRequest('Control characters (NUL included) are not allowed in paths');
    }
    if (Buffer.byteLength(segment) > SEGMENT_MAX) {
      throw new HttpErrors.BadRequest(`File and folder names are at most ${SEGMENT_MAX} bytes`);
    }
    if (segment === CHECKPOINTS) throw new HttpErrors.BadRequest(`${CHECKPOINTS} is reserved for checkpoints`);
    if (position === 0 && segment === TRASH_FOLDER) throw new HttpErrors.BadRequest(`${TRASH_FOLDER} is reserved: use the trash routes`);
  });
  return segments;
}

/** A path that names something: at least one segment. */
function requiredSegments(relative: string | undefined): string[] {
  const segments = segmentsOf(relative);
  if (segments.length === 0) throw new HttpErrors.BadRequest('Give the path of a file or folder');
  return segments;
}
