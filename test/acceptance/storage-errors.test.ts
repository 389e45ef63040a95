import {expect} from '@loopback/testlab';
import {execFileSync} from 'node:child_process';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {ApiWorld, PEOPLE} from '../fixtures/api-world';
import {folderTree} from '../fixtures/folder-tree';
import {canMount} from '../fixtures/can-mount';
import {temporaryFolder} from '../fixtures/test-app';

/**
 * Homes on a real, small tmpfs: full (ENOSPC) and then remounted read-only
 * (EROFS), as a quota or a failing volume would leave them. Needs the right
 * to mount (tests run as root).
 */
// Without the right to mount there is no real full or read-only file system to write to: a gap, said so.
(canMount() ? describe : describe.skip)('Files on storage that is full or read-only: a clear 507 or 503, nothing half-written', () => {
  let world: ApiWorld | undefined;
  let homes: string;

  before(async () => {
    homes = await temporaryFolder('small-homes');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0755', 'tmpfs', homes]);
    world = await ApiWorld.start({HOMES_ROOT: homes, HUB_PUBLIC_URL: 'http://hub.example'});
    await (await world.as('owner')).post('/volume/file').send({type: 'file', name: 'small.txt', content: 'kept'}).expect(200);
  });

  after(async () => {
    await world?.stop();
    execFileSync('umount', [homes], {stdio: 'ignore'});
  });

  const home = () => path.join(homes, PEOPLE.owner);

  it('answers 507 with a message, no errno and no path, when the storage is full, and leaves no temporary file', async () => {
    const owner = await world!.as('owner');
    const before = await folderTree(home());
    const res = await owner.post('/volume/file').send({type: 'file', name: 'big.txt', content: 'x'.repeat(400 * 1024)});
    expect(res.status).to.equal(507);
    expect(res.body.error.message).to.match(/storage is full/);
    expect(res.text).not.to.match(/ENOSPC|errno|\/tmp\//);
    expect(await folderTree(home())).to.deepEqual(before);
    // An overwrite that does not fit keeps the old content.
    const over = await owner.post('/volume/file').send({type: 'file', name: 'small.txt', content: 'y'.repeat(400 * 1024)});
    expect(over.status).to.equal(507);
    expect(await fs.readFile(path.join(home(), 'small.txt'), 'utf8')).to.equal('kept');
  });

  it('answers 503 with a message, no errno and no path, when the storage is read-only', async () => {
    execFileSync('mount', ['-o', 'remount,ro', homes]);
    try {
      const owner = await world!.as('owner');
      for (const res of [
        await owner.post('/volume/file').send({type: 'file', name: 'new.txt', content: 'x'}),
        await owner.post('/volume/file').send({type: 'directory', name: 'folder', path: 'a/b'}),
        await owner.delete('/volume/file').query({path: 'small.txt'}),
      ]) {
        expect(res.status).to.equal(503);
        expect(res.body.error.message).to.match(/not writable/);
        expect(res.text).not.to.match(/EROFS|errno|\/tmp\//);
      }
      expect(await fs.readFile(path.join(home(), 'small.txt'), 'utf8')).to.equal('kept');
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', homes]);
    }
  });
});
