import {expect} from '@loopback/testlab';
import {ChildProcess, spawn} from 'node:child_process';
import {once} from 'node:events';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {ApiWorld, PEOPLE} from '../fixtures/api-world';
import {folderTree} from '../fixtures/folder-tree';
import {temporaryFolder} from '../fixtures/test-app';
import {buildZip} from '../fixtures/zip-builder';

const SWAPPER = path.resolve(__dirname, '../../../test/fixtures/rename-exchange-swapper.py');
const CONCURRENCY = 16;

/** Runs `count` requests, `CONCURRENCY` at a time, and answers their statuses in request order. */
async function statusesOf(count: number, request: (i: number) => PromiseLike<{status: number}>): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      statuses[i] = (await request(i)).status;
    }
  };
  await Promise.all(Array.from({length: CONCURRENCY}, worker));
  return statuses;
}

/**
 * The attacker swaps their folder `d` with a symlink to a folder outside
 * their home (renameat2 RENAME_EXCHANGE, about 100,000 times a second) while
 * writes, uploads and checkpoint restores into `d` run. Each request must
 * either land in the real `d` or be refused; nothing may appear outside.
 */
describe('Files under a rename-exchange race: a folder swapped with a symlink while writes run', () => {
  let world: ApiWorld;
  let home: string;
  let outside: string;
  let swapper: ChildProcess | undefined;

  before(async () => {
    const homes = await temporaryFolder('homes');
    outside = await temporaryFolder('outside');
    world = await ApiWorld.start({HOMES_ROOT: homes, HUB_PUBLIC_URL: 'http://hub.example', CHECKPOINTS_KEPT: '1000'});
    home = path.join(homes, PEOPLE.owner);
    const owner = await world.as('owner');
    await owner.post('/volume/file').send({type: 'file', path: 'd', name: 'f.txt', content: 'first'}).expect(200);
    await owner.post('/volume/file').send({type: 'file', path: 'd', name: 'f.txt', content: 'second'}).expect(200);
    await fs.writeFile(path.join(outside, 'kept.txt'), 'outside');
    await fs.symlink(outside, path.join(home, 'x'));
  });

  after(async () => {
    swapper?.kill('SIGKILL');
    await world?.stop();
  });

  it('puts no file outside the home during 1000 writes, 200 uploads and 200 restores, and refuses or lands each', async () => {
    const owner = await world.as('owner');
    const checkpoint = (await owner.get('/volume/checkpoints').query({path: 'd/f.txt'}).expect(200)).body[0].id;
    const outsideBefore = await folderTree(outside);

    swapper = spawn('python3', [SWAPPER, path.join(home, 'd'), path.join(home, 'x')], {stdio: ['ignore', 'pipe', 'inherit']});
    const output = (async () => {
      let out = '';
      for await (const chunk of swapper.stdout!) out += chunk;
      return out;
    })();
    // Wait until it swaps.
    while (!(await fs.lstat(path.join(home, 'd')).then(s => s.isSymbolicLink()))) await new Promise(r => setTimeout(r, 5));

    const bundle = buildZip([{name: 'b.txt', data: 'attacker bundle'}, {name: 'sub/c.txt', data: 'x'}]);
    const [writes, uploads, restores] = await Promise.all([
      statusesOf(1000, i => owner.post('/volume/file').send({type: 'file', path: 'd', name: `w${i}.txt`, content: `w${i}`})),
      statusesOf(200, i => owner.post('/volume/upload').query({path: `d/u${i}`}).attach('file', bundle, 'bundle.zip')),
      statusesOf(200, () => owner.post('/volume/checkpoints/restore').query({path: 'd/f.txt', id: checkpoint})),
    ]);

    swapper.kill('SIGTERM');
    await once(swapper, 'exit');
    const swapCount = Number((await output).trim().split('\n').pop());
    swapper = undefined;

    expect(await folderTree(outside)).to.deepEqual(outsideBefore);
    const all = [...writes, ...uploads, ...restores];
    expect(all.filter(status => status !== 200 && status !== 400)).to.deepEqual([]);
    // The race was run: the folder was swapped throughout, and requests both landed and were refused.
    expect(swapCount).to.be.greaterThan(1000);
    expect(all.filter(status => status === 200).length).to.be.greaterThan(0);
    expect(all.filter(status => status === 400).length).to.be.greaterThan(0);
    // What landed is in the real folder, wherever the swap left it.
    const real = (await fs.lstat(path.join(home, 'd'))).isDirectory() ? path.join(home, 'd') : path.join(home, 'x');
    const landed = writes.flatMap((status, i) => (status === 200 ? [`w${i}.txt`] : []));
    const present = await fs.readdir(real);
    expect(landed.filter(name => !present.includes(name))).to.deepEqual([]);
  });
});
