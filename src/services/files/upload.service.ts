import {BindingScope, inject, injectable, service} from '@loopback/core';
import {HttpErrors, Request} from '@loopback/rest';
import Busboy from 'busboy';
import {randomBytes} from 'node:crypto';
import {once} from 'node:events';
import {createWriteStream, promises as fs, WriteStream} from 'node:fs';
import path from 'node:path';
import {pipeline} from 'node:stream/promises';
import yauzl from 'yauzl';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {peerError} from '../../utils/api-error.util';
import {ConfinedFolder, errnoOf, storageError, writeAll} from '../../utils/confined-folder.util';
import {segmentsOf, VolumeRoot, VolumeService} from './volume.service';

export interface UploadResult {
  message: string;
  /** The files written, relative to the root. */
  files: string[];
  /** Opens the notebook (the bundle's index.ipynb) for home uploads. */
  link: string | null;
}

const SYMLINK = 0o120000;
const FILE_TYPE_MASK = 0o170000;
/** The host system of a zip entry's attributes (the high byte of "version made by") when they are Unix modes. */
const MADE_ON_UNIX = 3;

/** Whether a zip entry made on Unix says its owner may run it (its other mode bits, setuid included, count for nothing). */
function markedExecutable(entry: yauzl.Entry): boolean {
  return entry.versionMadeBy >> 8 === MADE_ON_UNIX && ((entry.externalFileAttributes >>> 16) & 0o100) !== 0;
}

/**
 * Uploads as the Jupyter dashboards server took them: a
 * multipart field `file` holding a notebook (.ipynb) or a bundle (.zip).
 * Bundles are unpacked into a hidden staging folder inside the root, within
 * UPLOAD_MAX_BYTES, ZIP_MAX_ENTRIES and ZIP_MAX_BYTES, with every entry name
 * confined like any path and symlink entries refused; only a bundle that
 * unpacked completely is moved into place.
 */
@injectable({scope: BindingScope.SINGLETON})
export class UploadService {
  constructor(
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @service(VolumeService) private readonly volumes: VolumeService,
  ) {}

  async upload(root: VolumeRoot, folderPath: string | undefined, request: Request): Promise<UploadResult> {
    const folder = segmentsOf(folderPath);
    const received = await this.receive(request);
    try {
      const [name] = segmentsOf(received.filename);
      if (!name) throw new HttpErrors.BadRequest('The uploaded file has no name');
      if (name.endsWith('.ipynb')) {
        const model = await this.volumes.write(root, {
          type: 'notebook',
          name,
          path: folder.join('/'),
          content: await fs.readFile(received.file, 'utf8'),
        });
        return {message: 'Notebook uploaded', files: [model.path], link: model.link};
      }
      if (name.endsWith('.zip')) return await this.unpack(root, folder, received.file);
      throw new HttpErrors.BadRequest('Upload a notebook (.ipynb) or a bundle (.zip)');
    } finally {
      await fs.rm(received.file, {force: true});
    }
  }

  /** Where uploads are received, one file per upload in flight. */
  get receivingFolder(): string {
    return path.join(this.config.dataDir, 'uploads');
  }

  /**
   * Removes received files nobody has written to for `idleMs`: those of
   * uploads cut by a crash or a stop. Younger ones may be uploads in flight
   * in another process on the same DATA_DIR. Answers how many were removed.
   */
  async sweepLeftovers(idleMs: number, now = Date.now()): Promise<number> {
    const folder = this.receivingFolder;
    const names = await fs.readdir(folder).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const file = path.join(folder, name);
      const stats = await fs.lstat(file).catch(() => undefined);
      if (!stats?.isFile() || now - stats.mtimeMs < idleMs) continue;
      await fs.rm(file, {force: true});
      removed++;
    }
    return removed;
  }

  /** Streams the `file` field to a temporary file; 413 past UPLOAD_MAX_BYTES. */
  private async receive(request: Request): Promise<{file: string; filename: string}> {
    const folder = this.receivingFolder;
    // Not recursive: DATA_DIR exists from the start, and a recursive mkdir says ENOENT for EROFS.
    await fs.mkdir(folder, {mode: 0o700}).catch((err: unknown) => {
      if (errnoOf(err) === 'EEXIST') return;
      // The system's message would name the folder's absolute path.
      throw storageError(err) ?? peerError('storage', new HttpErrors.ServiceUnavailable(`The uploads folder in DATA_DIR cannot be made (${errnoOf(err) ?? 'unknown error'}); an operator must fix DATA_DIR`));
    });
    const file = path.join(folder, randomBytes(12).toString('hex'));
    let busboy: Busboy.Busboy;
    try {
      busboy = Busboy({headers: request.headers, limits: {files: 1, fileSize: this.config.files.uploadMaxBytes, fields: 10}});
    } catch (err) {
      throw new HttpErrors.BadRequest(`Send multipart/form-data with a field "file": ${(err as Error).message}`);
    }
    return new Promise((resolve, reject) => {
      let received: Promise<{file: string; filename: string}> | undefined;
      let sink: WriteStream | undefined;
      busboy.on('file', (field, stream, info) => {
        if (field !== 'file') {
          stream.resume();
          return;
        }
        let truncated = false;
        stream.on('limit', () => (truncated = true));
        sink = createWriteStream(file, {mode: 0o600});
        received = pipeline(stream, sink).then(() => {
          if (truncated) {
            throw new HttpErrors.PayloadTooLarge(`The upload is larger than UPLOAD_MAX_BYTES (${this.config.files.uploadMaxBytes} bytes)`);
          }
          return {file, filename: info.filename ?? ''};
        });
      });
      busboy.on('error', err => reject(new HttpErrors.BadRequest(`The multipart body is malformed: ${(err as Error).message}`)));
      busboy.on('close', () => {
        if (!received) reject(new HttpErrors.BadRequest('The form has no field "file"'));
        else received.then(resolve, err => fs.rm(file, {force: true}).then(() => reject(err)));
      });
      // A client that cuts the connection mid-body leaves busboy waiting forever: the partial file must go now.
      request.once('close', () => {
        if (request.complete) return;
        const cut = new HttpErrors.BadRequest('The upload was cut off before its end');
        request.unpipe(busboy);
        busboy.destroy();
        const writer = sink;
        if (writer && !writer.closed) writer.destroy(cut);
        const closed = writer && !writer.closed ? once(writer, 'close').catch(() => undefined) : Promise.resolve();
        Promise.all([closed, received?.catch(() => undefined)])
          .then(() => fs.rm(file, {force: true}))
          .finally(() => reject(cut))
          .catch(() => undefined);
      });
      request.pipe(busboy);
    });
  }

  private async unpack(root: VolumeRoot, folder: string[], zipFile: string): Promise<UploadResult> {
    const staging = `.upload-${randomBytes(6).toString('hex')}`;
    const files = await this.volumes.inRoot(root, true, async dir => {
      const stagingDir = await dir.folder(staging, {create: true});
      try {
        const unpacked = await this.extract(zipFile, stagingDir);
        for (const relative of unpacked) {
          const segments = relative.split('/');
          await stagingDir.within(segments.slice(0, -1), {}, source =>
            this.volumes.place(dir, source, segments[segments.length - 1], [...folder, ...segments]),
          );
        }
        return unpacked;
      } finally {
        await stagingDir.close();
        await dir.removeTree(staging);
      }
    });
    const notebook = files.find(f => f === 'index.ipynb') ?? files.find(f => f.endsWith('.ipynb'));
    const link = notebook && root.homeOf ? this.volumes.link([...folder, ...notebook.split('/')]) : null;
    return {message: `Bundle unpacked: ${files.length} files`, files: files.map(f => [...folder, f].join('/')), link};
  }

  /** Unpacks every entry into the staging folder; answers the files' relative paths. */
  private extract(zipFile: string, staging: ConfinedFolder): Promise<string[]> {
    const {zipMaxEntries, zipMaxBytes} = this.config.files;
    return new Promise((resolve, reject) => {
      yauzl.open(zipFile, {lazyEntries: true, validateEntrySizes: true, strictFileNames: true}, (openErr, zip) => {
        if (openErr ?? !zip) {
          reject(new HttpErrors.BadRequest(`The bundle is not a valid zip file: ${openErr?.message}`));
          return;
        }
        if (zip.entryCount > zipMaxEntries) {
          zip.close();
          reject(new HttpErrors.BadRequest(`The bundle has ${zip.entryCount} entries; at most ZIP_MAX_ENTRIES (${zipMaxEntries}) are unpacked`));
          return;
        }
        const files: string[] = [];
        let unpacked = 0;
        const fail = (err: unknown) => {
          zip.close();
          reject(
            HttpErrors.isHttpError(err)
              ? err
              : // A system error's message would name the staging folder's path.
                storageError(err) ?? new HttpErrors.BadRequest(`The bundle cannot be unpacked: ${errnoOf(err) ?? (err as Error).message}`),
          );
        };
        zip.on('error', fail);
        zip.on('end', () => resolve(files));
        zip.on('entry', (entry: yauzl.Entry) => {
          const onEntry = async () => {
            const isDirectory = entry.fileName.endsWith('/');
            const segments = segmentsOf(entry.fileName.replace(/\/$/, ''));
            if (segments.length === 0) throw new HttpErrors.BadRequest('The bundle has an entry without a name');
            if (((entry.externalFileAttributes >>> 16) & FILE_TYPE_MASK) === SYMLINK) {
              throw new HttpErrors.BadRequest(`The bundle entry ${entry.fileName} is a symlink; symlinks are not unpacked`);
            }
            if (isDirectory) {
              await staging.within(segments, {create: true}, async () => undefined);
              return;
            }
            if (unpacked + entry.uncompressedSize > zipMaxBytes) {
              throw new HttpErrors.BadRequest(`The bundle unpacks to more than ZIP_MAX_BYTES (${zipMaxBytes} bytes)`);
            }
            const stream = await new Promise<NodeJS.ReadableStream>((ok, ko) =>
              zip.openReadStream(entry, (err, s) => (err ?? !s ? ko(err) : ok(s as NodeJS.ReadableStream))),
            );
            // yauzl re-emits an inflate error on the entry stream after the
            // iteration below has already failed with it and stopped listening.
            stream.on('error', () => undefined);
            const counted = async function* () {
              for await (const chunk of stream as AsyncIterable<Buffer>) {
                unpacked += chunk.length;
                if (unpacked > zipMaxBytes) {
                  throw new HttpErrors.BadRequest(`The bundle unpacks to more than ZIP_MAX_BYTES (${zipMaxBytes} bytes)`);
                }
                yield chunk;
              }
            };
            // Marked executable in the bundle: runnable where the root makes programs (a module's binaries), and nowhere else.
            await staging.within(segments.slice(0, -1), {create: true}, parent =>
              parent.createFile(segments[segments.length - 1], handle => writeAll(handle, counted()), {executable: markedExecutable(entry)}),
            );
            files.push(segments.join('/'));
          };
          onEntry().then(() => zip.readEntry(), fail);
        });
        zip.readEntry();
      });
    });
  }
}
