import {expect} from '@loopback/testlab';
import {execFileSync} from 'node:child_process';
import {promises as fs} from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {HttpErrors, Request} from '@loopback/rest';
import type {AppConfig} from '../../src/config';
import {UploadService} from '../../src/services/files/upload.service';
import {VolumeRoot, VolumeService} from '../../src/services/files/volume.service';
import {ApiWorld} from '../fixtures/api-world';
import {canMount} from '../fixtures/can-mount';
import {temporaryFolder} from '../fixtures/test-app';

const pause = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/** Sends the head of a multipart upload, waits until the API holds its partial file, then cuts the connection. */
async function cutUpload(world: ApiWorld): Promise<void> {
  const uploads = path.join(world.api.dataDir, 'uploads');
  const before = new Set(await fs.readdir(uploads).catch(() => []));
  const request = http.request(`${world.api.url}/volume/upload`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await world.tokenFor('owner@lab.org')}`,
      'content-type': 'multipart/form-data; boundary=b',
      'content-length': 1_000_000,
    },
  });
  request.on('error', () => undefined);
  request.write(`--b\r\nContent-Disposition: form-data; name="file"; filename="cut.ipynb"\r\n\r\n{"cells": [${'1,'.repeat(20_000)}`);
  for (let i = 0; i < 250 && (await fs.readdir(uploads).catch(() => [])).every(name => before.has(name)); i++) await pause(20);
  expect((await fs.readdir(uploads)).some(name => !before.has(name))).to.be.true();
  request.destroy();
}

describe('Partial files of cut uploads (DATA_DIR/uploads)', () => {
  it('removes the partial file of an upload whose client cuts the connection mid-body, at once', async () => {
    const world = await ApiWorld.start();
    try {
      await cutUpload(world);
      const uploads = path.join(world.api.dataDir, 'uploads');
      for (let i = 0; i < 100 && (await fs.readdir(uploads)).length > 0; i++) await pause(20);
      expect(await fs.readdir(uploads)).to.deepEqual([]);
      // The API still takes uploads after that.
      await (await world.as('owner')).post('/volume/upload').attach('file', Buffer.from('{}'), 'x.txt').expect(400);
      expect(await fs.readdir(uploads)).to.deepEqual([]);
    } finally {
      await world.stop();
    }
  });

  it('removes at start the partial files a crash or a stop left, and keeps young ones an upload elsewhere may be writing', async () => {
    const dataDir = await temporaryFolder('data');
    const uploads = path.join(dataDir, 'uploads');
    await fs.mkdir(uploads, {mode: 0o700});
    const old = new Date(Date.now() - 3600 * 1000);
    await fs.writeFile(path.join(uploads, 'left-by-a-crash'), '{"cells": [1,');
    await fs.utimes(path.join(uploads, 'left-by-a-crash'), old, old);
    await fs.writeFile(path.join(uploads, 'in-flight-elsewhere'), '{"cells": [1,');
    const world = await ApiWorld.start({DATA_DIR: dataDir});
    try {
      expect(await fs.readdir(uploads)).to.deepEqual(['in-flight-elsewhere']);
    } finally {
      await world.stop();
    }
  });

  // Root writes to a read-only folder: only a read-only file system refuses it.
  (canMount() ? it : it.skip)('answers 503 naming no path when the uploads folder is missing and DATA_DIR is read-only', async () => {
    const dataDir = await temporaryFolder('read-only-data');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', dataDir]);
    try {
      const config = {dataDir, files: {uploadMaxBytes: 1024}} as AppConfig;
      const uploads = new UploadService(config, {} as VolumeService);
      const request = {headers: {'content-type': 'multipart/form-data; boundary=b'}} as Request;
      const err = await uploads.upload({} as VolumeRoot, undefined, request).then(
        () => undefined,
        (e: unknown) => e as HttpErrors.HttpError & {code?: string},
      );
      expect(err?.statusCode).to.equal(503, String(err));
      expect(err?.code).to.equal('storage_unavailable');
      expect(err?.message).not.to.match(/EROFS|\/tmp\/|uploads/);
    } finally {
      execFileSync('umount', [dataDir], {stdio: 'ignore'});
    }
  });
});
