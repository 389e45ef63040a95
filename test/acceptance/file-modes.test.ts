import {expect} from '@loopback/testlab';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {ApiWorld, PEOPLE} from '../fixtures/api-world';
import {temporaryFolder} from '../fixtures/test-app';
import {buildZip} from '../fixtures/zip-builder';

const modeOf = async (file: string) => (await fs.lstat(file)).mode & 0o7777;

/** Everything below `folder`, with its mode and owner, as `path mode uid:gid`. */
async function modesBelow(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of (await fs.readdir(folder, {recursive: true})).map(String).sort()) {
    const stats = await fs.lstat(path.join(folder, entry));
    found.push(`${entry} ${(stats.mode & 0o7777).toString(8)} ${stats.uid}:${stats.gid}`);
  }
  return found;
}

/** A home with a notebook, a folder, a checkpoint, a trashed file and an unpacked bundle in it. */
async function fillHome(world: ApiWorld): Promise<void> {
  const owner = await world.as('owner');
  await owner.post('/volume/file').send({type: 'file', path: 'a/b', name: 'f.txt', content: 'one'}).expect(200);
  await owner.post('/volume/file').send({type: 'file', path: 'a/b', name: 'f.txt', content: 'two'}).expect(200);
  await owner.post('/volume/file').send({type: 'file', name: 'gone.txt', content: 'x'}).expect(200);
  await owner.delete('/volume/file').query({path: 'gone.txt'}).expect(200);
  await owner.post('/volume/upload').query({path: 'bundle'}).attach('file', buildZip([{name: 'sub/n.txt', data: 'x'}]), 'b.zip').expect(200);
}

/** Tests run as root, so modes and owners are what the API set, not what a umask or a user left. */
describe('Files: modes and owners of what the API creates in homes', () => {
  const worlds: ApiWorld[] = [];
  after(async () => {
    for (const world of worlds) await world.stop();
  });
  const start = async (env: Record<string, string>) => {
    const homes = await temporaryFolder('homes');
    const world = await ApiWorld.start({HOMES_ROOT: homes, ...env});
    worlds.push(world);
    return {world, home: path.join(homes, PEOPLE.owner)};
  };

  it('makes a home 0750, its folders 0750 and its files 0640 by default, on a first write, whatever the umask', async () => {
    const previous = process.umask(0o000);
    try {
      const {world, home} = await start({});
      await fillHome(world);
      expect(await modeOf(home)).to.equal(0o750);
      const modes = await modesBelow(home);
      expect(modes.length).to.be.greaterThan(8);
      for (const line of modes) {
        const [entry, mode] = line.split(' ');
        const folder = (await fs.lstat(path.join(home, entry))).isDirectory();
        expect(`${entry} ${mode}`).to.equal(`${entry} ${folder ? '750' : '640'}`);
      }
    } finally {
      process.umask(previous);
    }
  });

  it('uses HOMES_MODE, FOLDER_MODE and FILE_MODE when set', async () => {
    const {world, home} = await start({HOMES_MODE: '0700', FOLDER_MODE: '0711', FILE_MODE: '0600'});
    await fillHome(world);
    expect(await modeOf(home)).to.equal(0o700);
    expect(await modeOf(path.join(home, 'a', 'b'))).to.equal(0o711);
    expect(await modeOf(path.join(home, 'a', 'b', 'f.txt'))).to.equal(0o600);
    expect(await modeOf(path.join(home, 'bundle', 'sub', 'n.txt'))).to.equal(0o600);
  });

  it('with HOMES_OWNER=hub-user, gives what it writes into a home to the home\'s owner', async () => {
    const {world, home} = await start({HOMES_OWNER: 'hub-user'});
    await fs.mkdir(home, {mode: 0o750});
    await fs.chown(home, 4242, 4343);
    await fillHome(world);
    const owners = (await modesBelow(home)).map(line => line.split(' ')[2]);
    expect(owners.length).to.be.greaterThan(8);
    expect([...new Set(owners)]).to.deepEqual(['4242:4343']);
  });

  it('keeps what it writes as its own by default (HOMES_OWNER=api), even in a home owned by someone else', async () => {
    const {world, home} = await start({});
    await fs.mkdir(home, {mode: 0o750});
    await fs.chown(home, 4242, 4343);
    await fillHome(world);
    const owners = (await modesBelow(home)).map(line => line.split(' ')[2]);
    expect([...new Set(owners)]).to.deepEqual([`${process.getuid!()}:${process.getgid!()}`]);
  });

  it('refuses a mode that is not octal at start-up', async () => {
    await expect(start({FILE_MODE: 'rw-r-----'})).to.be.rejectedWith(/FILE_MODE must be an octal mode/);
  });
});
