import {BindingScope, inject, injectable, service} from '@loopback/core';
import {repository} from '@loopback/repository';
import {HttpErrors} from '@loopback/rest';
import {randomBytes} from 'node:crypto';
import {constants, promises as fs} from 'node:fs';
import path from 'node:path';
import type {AppConfig} from '../config';
import {AppBindings} from '../keys';
import {ServerRepository} from '../repositories/server.repository';
import {AccessLevel, AccessService, atLeast} from './access.service';
import {FileSystemService} from './file-system.service';
import {HubUserService} from './hub-user.service';
import type {Caller} from './identity.service';
import {IdentityService} from './identity.service';
import {JupyterHubService} from './jupyterhub.service';
import {NotebookValidatorService} from './notebook-validator.service';
import {ResourceLookupService} from './resource-lookup.service';
import {normaliseEmail} from '../validation';

export const FILE_TYPES = ['notebook', 'file', 'directory'] as const;
export type FileType = (typeof FILE_TYPES)[number];

export interface FileRequest {
  type: FileType;
  name: string;
  /** Folder under the root, `a/b`; empty or absent: the root itself. */
  path?: string;
  /** `home` (default) or the id of a dataset the caller may write. */
  root?: string;
  content?: unknown;
  format?: 'text' | 'base64';
}

export interface FileModel {
  name: string;
  path: string;
  root: string;
  type: FileType;
  size: number;
  last_modified: string;
  content: null;
  link: string | null;
}

export interface Checkpoint {
  id: string;
  size: number;
  last_modified: string;
}

/** A root the caller may use: a home folder or a dataset's folder. */
export interface VolumeRoot {
  label: string;
  dir: string;
  /** The hub user whose home it is; undefined for datasets. */
  homeOf?: string;
}

const CHECKPOINTS = '.checkpoints';
const SEGMENT_MAX = 255;
const PATH_MAX = 4096;

/**
 * Files in users' homes and datasets: every path is confined to its root
 * (no `..`, absolute paths, NUL, backslashes, control characters, over-long
 * names or symlinks), writes are atomic, and an overwritten file's previous
 * content is kept as a checkpoint.
 */
@injectable({scope: BindingScope.SINGLETON})
export class VolumeService {
  constructor(
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @repository(ServerRepository) private readonly servers: ServerRepository,
    @service(FileSystemService) private readonly files: FileSystemService,
    @service(AccessService) private readonly access: AccessService,
    @service(ResourceLookupService) private readonly resources: ResourceLookupService,
    @service(HubUserService) private readonly hubUsers: HubUserService,
    @service(IdentityService) private readonly identity: IdentityService,
    @service(JupyterHubService) private readonly hub: JupyterHubService,
    @service(NotebookValidatorService) private readonly notebooks: NotebookValidatorService,
  ) {}

  /**
   * `home` (the caller's, or with `email` an admin's pick) or a dataset id;
   * datasets need `level` on them, unreadable ones are 404.
   */
  async root(caller: Caller, root: string | undefined, level: AccessLevel, email?: string): Promise<VolumeRoot> {
    if (root === undefined || root === '' || root === 'home') {
      let username = caller.username;
      if (email !== undefined) {
        const person = normaliseEmail(email);
        if (!person) throw new HttpErrors.BadRequest(`email "${email}" is not an email`);
        if (person !== caller.email && !caller.admin) {
          throw new HttpErrors.Forbidden('Only administrators may use another person\'s home');
        }
        username = this.identity.hubUsername(person);
      }
      return {label: 'home', dir: this.hubUsers.home(username), homeOf: username};
    }
    const dataset = await this.resources.find('dataset', root);
    const held = dataset ? await this.access.levelOf(caller, 'dataset', dataset) : 'none';
    if (held === 'none') throw new HttpErrors.NotFound(`Root ${root} is neither "home" nor a dataset you can read`);
    if (!atLeast(held, level)) throw new HttpErrors.Forbidden(`Writing to dataset ${root} needs write access`);
    return {label: root, dir: this.files.inside(this.config.datasetsRoot, root)};
  }

  /** Writes a notebook, a file or a folder; an existing file becomes a checkpoint first. */
  async write(root: VolumeRoot, request: FileRequest): Promise<FileModel> {
    const folder = segmentsOf(request.path);
    const name = segmentsOf(request.name);
    if (name.length !== 1) throw new HttpErrors.BadRequest('name must be one file or folder name, without /');
    const segments = [...folder, ...name];
    const data = this.contentOf(request);
    await fs.mkdir(root.dir, {recursive: true});
    await this.assertNoSymlinks(root.dir, segments);
    if (request.type === 'directory') {
      await fs.mkdir(this.files.inside(root.dir, ...segments), {recursive: true});
    } else {
      await fs.mkdir(this.files.inside(root.dir, ...folder), {recursive: true});
      await this.assertNoSymlinks(root.dir, segments);
      await this.checkpoint(root.dir, segments);
      await this.files.writeFileAtomically(data!, root.dir, ...segments);
      await this.pruneCheckpoints(root.dir, segments);
    }
    return this.model(root, segments, request.type);
  }

  /**
   * The ELN form (seed 000): a notebook into `folder/filename` of the
   * caller's home. The user must already exist on the hub.
   */
  async writeForEln(caller: Caller, notebook: unknown, folder?: string, filename?: string): Promise<FileModel> {
    if (!filename) throw new HttpErrors.BadRequest('filename is required with token');
    if ((await this.hub.user(caller.username)) === undefined) {
      throw new HttpErrors.NotFound(
        `The user ${caller.username} does not exist on JupyterHub: users are not created by the ELN, sign in to the Notebooks Hub once first`,
      );
    }
    return this.write(await this.root(caller, 'home', 'write'), {type: 'notebook', name: filename, path: folder, content: notebook});
  }

  /**
   * Moves a file already inside the root (an unpacked upload) to its place,
   * like a write: folders created, an existing file kept as a checkpoint.
   */
  async place(root: VolumeRoot, source: string, segments: string[]): Promise<void> {
    await this.assertNoSymlinks(root.dir, segments);
    await fs.mkdir(this.files.inside(root.dir, ...segments.slice(0, -1)), {recursive: true});
    await this.assertNoSymlinks(root.dir, segments);
    await this.checkpoint(root.dir, segments);
    await fs.rename(path.join(root.dir, source), this.files.inside(root.dir, ...segments));
    await this.pruneCheckpoints(root.dir, segments);
  }

  async list(root: VolumeRoot, folderPath?: string): Promise<Omit<FileModel, 'content' | 'link'>[]> {
    const folder = segmentsOf(folderPath);
    await this.assertNoSymlinks(root.dir, folder);
    const dir = this.files.inside(root.dir, ...folder);
    let entries;
    try {
      entries = await fs.readdir(dir, {withFileTypes: true});
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A home is made on first write: before that it is empty, not missing.
      if (code === 'ENOENT' && folder.length === 0) return [];
      if (code === 'ENOENT') throw new HttpErrors.NotFound(`No folder ${folder.join('/') || '/'} in ${root.label}`);
      if (code === 'ENOTDIR') throw new HttpErrors.BadRequest(`${folder.join('/')} is a file, not a folder`);
      throw err;
    }
    const listed = [];
    for (const entry of entries.filter(e => !e.name.startsWith('.') && (e.isFile() || e.isDirectory()))) {
      const stats = await fs.lstat(path.join(dir, entry.name));
      listed.push({
        name: entry.name,
        path: [...folder, entry.name].join('/'),
        root: root.label,
        type: entry.isDirectory() ? 'directory' : typeOfName(entry.name),
        size: stats.size,
        last_modified: stats.mtime.toISOString(),
      });
    }
    return listed.sort((a, b) => a.name.localeCompare(b.name));
  }

  async checkpoints(root: VolumeRoot, filePath: string): Promise<Checkpoint[]> {
    const segments = segmentsOf(filePath);
    await this.assertNoSymlinks(root.dir, segments);
    const dir = this.checkpointDir(root.dir, segments);
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    const found: Checkpoint[] = [];
    for (const id of names) {
      const stats = await fs.stat(path.join(dir, id));
      found.push({id, size: stats.size, last_modified: stats.mtime.toISOString()});
    }
    return found.sort((a, b) => b.id.localeCompare(a.id));
  }

  /** Puts a checkpoint back; the content it replaces becomes a checkpoint itself. */
  async restore(root: VolumeRoot, filePath: string, checkpointId: string): Promise<FileModel> {
    const segments = segmentsOf(filePath);
    const [id] = segmentsOf(checkpointId);
    await this.assertNoSymlinks(root.dir, segments);
    let content: string;
    try {
      content = await fs.readFile(path.join(this.checkpointDir(root.dir, segments), id), 'utf8');
    } catch {
      throw new HttpErrors.NotFound(`No checkpoint ${id} of ${segments.join('/')}`);
    }
    await this.checkpoint(root.dir, segments);
    await this.files.writeFileAtomically(content, root.dir, ...segments);
    await this.pruneCheckpoints(root.dir, segments);
    return this.model(root, segments, typeOfName(segments[segments.length - 1]));
  }

  private contentOf(request: FileRequest): string | Buffer | undefined {
    if (request.type === 'directory') return undefined;
    if (request.type === 'notebook') return `${JSON.stringify(this.notebooks.parse(request.content), null, 1)}\n`;
    if (typeof request.content !== 'string') throw new HttpErrors.BadRequest('A file\'s content must be a string');
    return request.format === 'base64' ? Buffer.from(request.content, 'base64') : request.content;
  }

  /** 400 if any existing part of the path is a symlink: a link could lead out of the root. */
  private async assertNoSymlinks(rootDir: string, segments: string[]): Promise<void> {
    const rootStats = await fs.lstat(rootDir).catch(() => undefined);
    if (rootStats?.isSymbolicLink()) throw new HttpErrors.BadRequest('The root folder is a symlink');
    for (let i = 1; i <= segments.length; i++) {
      let stats;
      try {
        stats = await fs.lstat(this.files.inside(rootDir, ...segments.slice(0, i)));
      } catch {
        return;
      }
      if (stats.isSymbolicLink()) {
        throw new HttpErrors.BadRequest(`${segments.slice(0, i).join('/')} is a symlink; symlinks are not followed`);
      }
      if (i < segments.length && !stats.isDirectory()) {
        throw new HttpErrors.BadRequest(`${segments.slice(0, i).join('/')} is a file, not a folder`);
      }
    }
  }

  private checkpointDir(rootDir: string, segments: string[]): string {
    const parent = segments.slice(0, -1);
    return this.files.inside(rootDir, ...parent, CHECKPOINTS, segments[segments.length - 1]);
  }

  /** Keeps the current content, if any, before it is replaced. */
  private async checkpoint(rootDir: string, segments: string[]): Promise<void> {
    const file = this.files.inside(rootDir, ...segments);
    const stats = await fs.lstat(file).catch(() => undefined);
    if (!stats) return;
    if (!stats.isFile()) throw new HttpErrors.Conflict(`${segments.join('/')} exists and is not a file`);
    const dir = this.checkpointDir(rootDir, segments);
    await fs.mkdir(dir, {recursive: true});
    const id = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
    await fs.copyFile(file, path.join(dir, id), constants.COPYFILE_EXCL);
  }

  private async pruneCheckpoints(rootDir: string, segments: string[]): Promise<void> {
    const dir = this.checkpointDir(rootDir, segments);
    const ids = (await fs.readdir(dir).catch(() => [] as string[])).sort().reverse();
    for (const id of ids.slice(this.config.files.checkpointsKept)) await fs.rm(path.join(dir, id), {force: true});
  }

  private async model(root: VolumeRoot, segments: string[], type: FileType): Promise<FileModel> {
    const stats = await fs.stat(this.files.inside(root.dir, ...segments));
    return {
      name: segments[segments.length - 1],
      path: segments.join('/'),
      root: root.label,
      type,
      size: stats.size,
      last_modified: stats.mtime.toISOString(),
      content: null,
      link: root.homeOf === undefined ? null : await this.link(root.homeOf, segments),
    };
  }

  /** Opens the file in the owner's running server, or through the hub's user-redirect (login first). */
  async link(username: string, segments: string[]): Promise<string> {
    const filePath = this.config.files.linkPath.replace('{path}', segments.map(encodeURIComponent).join('/'));
    const running = await this.servers.findOne({where: {hubUser: username, status: 'running'}, order: ['createdAt ASC']});
    if (running) return this.hub.serverUrl(username, running.name, filePath);
    return `${this.config.hub.publicUrl}/hub/user-redirect/${filePath}`;
  }
}

/** The segments of a relative path; 400 for anything that could leave the root. */
export function segmentsOf(relative: string | undefined): string[] {
  if (relative === undefined || relative === '') return [];
  if (relative.length > PATH_MAX) throw new HttpErrors.BadRequest(`Paths are at most ${PATH_MAX} characters`);
  if (relative.startsWith('/')) throw new HttpErrors.BadRequest('Absolute paths are not allowed: give a path relative to the root');
  if (relative.includes('\\')) throw new HttpErrors.BadRequest('Backslashes are not allowed in paths');
  const segments = relative.split('/').filter(segment => segment !== '');
  for (const segment of segments) {
    if (segment === '.' || segment === '..') throw new HttpErrors.BadRequest('. and .. are not allowed in paths');
    if ([...segment].some(char => char < ' ' || char === '\u007f')) {
      throw new HttpErrors.BadRequest('Control characters (NUL included) are not allowed in paths');
    }
    if (Buffer.byteLength(segment) > SEGMENT_MAX) {
      throw new HttpErrors.BadRequest(`File and folder names are at most ${SEGMENT_MAX} bytes`);
    }
    if (segment === CHECKPOINTS) throw new HttpErrors.BadRequest(`${CHECKPOINTS} is reserved for checkpoints`);
  }
  return segments;
}

function typeOfName(name: string): FileType {
  return name.endsWith('.ipynb') ? 'notebook' : 'file';
}
