import {expect} from '@loopback/testlab';
import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {ApiWorld, PEOPLE} from '../fixtures/api-world';
import {temporaryFolder} from '../fixtures/test-app';
import {buildZip} from '../fixtures/zip-builder';

/**
 * The attacker has a shell in their own server and controls every entry of
 * their home. At each position a file route passes through, they plant a
 * symlink to something the API can reach and they cannot (/etc, the API's
 * DATA_DIR, /proc/self, another user's home, /dev/zero), or a FIFO where a
 * file is read. Every route must refuse what goes through the planted entry
 * (4xx, never 5xx), leave everything outside the home byte for byte as it
 * was, and answer nothing of what lies behind it.
 */

type Kind = 'folder' | 'file';
interface Position {
  kind: Kind;
  /** Where, in the attacker's home, once the ids of the seeded checkpoint and trash entry are known. */
  at: (ids: Ids) => string;
}
interface Ids {
  checkpoint: string;
  trash: string;
}

const POSITIONS: Record<string, Position> = {
  home: {kind: 'folder', at: () => ''},
  folder: {kind: 'folder', at: () => 'd'},
  file: {kind: 'file', at: () => 'd/f.txt'},
  checkpoints: {kind: 'folder', at: () => 'd/.checkpoints'},
  'checkpoints of the file': {kind: 'folder', at: () => 'd/.checkpoints/f.txt'},
  checkpoint: {kind: 'file', at: ids => `d/.checkpoints/f.txt/${ids.checkpoint}`},
  trash: {kind: 'folder', at: () => '.trash'},
  'trash entry': {kind: 'folder', at: ids => `.trash/${ids.trash}`},
  'trashed item': {kind: 'file', at: ids => `.trash/${ids.trash}/item`},
  'trash record': {kind: 'file', at: ids => `.trash/${ids.trash}/origin.json`},
};
type PositionName = keyof typeof POSITIONS;

type Agent = Awaited<ReturnType<ApiWorld['as']>>;
interface Route {
  send: (agent: Agent, ids: Ids) => Promise<{status: number; text: string}>;
  /** The positions the route reads, writes or walks through: a planted entry there must be refused. */
  refusedAt: PositionName[];
}

const WRITE_PATH: PositionName[] = ['home', 'folder', 'file', 'checkpoints', 'checkpoints of the file'];
const ROUTES: Record<string, Route> = {
  'POST /volume/file': {
    send: agent => agent.post('/volume/file').send({type: 'file', path: 'd', name: 'f.txt', content: 'attacker text'}),
    refusedAt: WRITE_PATH,
  },
  'GET /volume/file': {
    send: agent => agent.get('/volume/file').query({path: 'd/f.txt'}),
    refusedAt: ['home', 'folder', 'file'],
  },
  'GET /volume/files': {
    send: agent => agent.get('/volume/files').query({path: 'd'}),
    refusedAt: ['home', 'folder'],
  },
  // Moving or trashing a planted symlink renames the link itself, never what it points to.
  'DELETE /volume/file': {
    send: agent => agent.delete('/volume/file').query({path: 'd/f.txt'}),
    refusedAt: ['home', 'folder', 'trash'],
  },
  'PATCH /volume/file': {
    send: agent => agent.patch('/volume/file').query({path: 'd/f.txt'}).send({newPath: 'd/g.txt'}),
    refusedAt: ['home', 'folder'],
  },
  'GET /volume/checkpoints': {
    send: agent => agent.get('/volume/checkpoints').query({path: 'd/f.txt'}),
    refusedAt: ['home', 'folder', 'checkpoints', 'checkpoints of the file'],
  },
  'POST /volume/checkpoints': {
    send: agent => agent.post('/volume/checkpoints').query({path: 'd/f.txt'}),
    refusedAt: WRITE_PATH,
  },
  'DELETE /volume/checkpoints': {
    send: (agent, ids) => agent.delete('/volume/checkpoints').query({path: 'd/f.txt', id: ids.checkpoint}),
    refusedAt: ['home', 'folder', 'checkpoints', 'checkpoints of the file', 'checkpoint'],
  },
  'POST /volume/checkpoints/restore': {
    send: (agent, ids) => agent.post('/volume/checkpoints/restore').query({path: 'd/f.txt', id: ids.checkpoint}),
    refusedAt: [...WRITE_PATH, 'checkpoint'],
  },
  'GET /volume/trash': {
    send: agent => agent.get('/volume/trash'),
    refusedAt: ['home', 'trash'],
  },
  'POST /volume/trash/restore': {
    send: (agent, ids) => agent.post('/volume/trash/restore').query({id: ids.trash}),
    refusedAt: ['home', 'folder', 'trash', 'trash entry', 'trash record'],
  },
  'POST /volume/upload (bundle)': {
    send: agent =>
      agent
        .post('/volume/upload')
        .query({path: 'd'})
        .attach('file', buildZip([{name: 'f.txt', data: 'attacker bundle'}, {name: 'sub/n.txt', data: 'x'}]), 'bundle.zip'),
    refusedAt: ['home', 'folder'],
  },
  'POST /volume/upload (notebook)': {
    send: agent =>
      agent
        .post('/volume/upload')
        .query({path: 'd'})
        .attach('file', Buffer.from(JSON.stringify({cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5})), 'f.ipynb'),
    refusedAt: ['home', 'folder'],
  },
};

/** Each file's type, mode, owner and content (or link target), keyed by path: what "unchanged" means. */
async function snapshot(root: string, skip: (p: string) => boolean = () => false): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const visit = async (dir: string) => {
    for (const name of await fs.readdir(dir)) {
      const full = path.join(dir, name);
      if (skip(full)) continue;
      const stats = await fs.lstat(full);
      const head = `${stats.mode.toString(8)} ${stats.uid}:${stats.gid}`;
      if (stats.isSymbolicLink()) found.set(full, `${head} -> ${await fs.readlink(full)}`);
      else if (stats.isDirectory()) {
        found.set(full, `${head} dir`);
        await visit(full);
      } else if (stats.isFile()) found.set(full, `${head} ${createHash('sha256').update(await fs.readFile(full)).digest('hex')}`);
      else found.set(full, `${head} special`);
    }
  };
  await visit(root);
  return found;
}

describe('Files against a hostile home: symlinks and FIFOs planted at every position of every file route', () => {
  let world: ApiWorld;
  let homes: string;
  let dataDir: string;
  let outside: string;
  let attacker: Agent;
  let attackerHome: string;
  let victimHome: string;
  /** Pieces of what lies behind the planted links: none may appear in an answer. */
  let secrets: string[];
  let untouched: Map<string, string>;

  const outsideSnapshot = async () => {
    const all = new Map<string, string>();
    for (const root of ['/etc', dataDir, outside, homes]) {
      for (const [key, value] of await snapshot(root, p => p === attackerHome)) all.set(key, value);
    }
    return all;
  };

  before(async () => {
    homes = await temporaryFolder('homes');
    outside = await temporaryFolder('outside');
    world = await ApiWorld.start({HOMES_ROOT: homes, DATASETS_ROOT: await temporaryFolder('datasets'), HUB_PUBLIC_URL: 'http://hub.example'});
    dataDir = world.api.dataDir;
    attacker = await world.as('owner');
    attackerHome = path.join(homes, PEOPLE.owner);
    victimHome = path.join(homes, PEOPLE.writer);
    const victim = await world.as('writer');
    await victim.post('/volume/file').send({type: 'file', name: 'private.txt', content: 'PRIVATE-OF-THE-VICTIM'}).expect(200);
    // A secret stored, so DATA_DIR holds its key and encrypted values.
    await attacker.post('/secrets').send({secretName: 'hostile-key', type: 'raw', value: 'x'}).expect(200);
    await fs.writeFile(path.join(outside, 'kept.txt'), 'outside');
    execFileSync('mkfifo', [path.join(outside, 'fifo')]);
    // One upload first: the API makes its own receiving folder in DATA_DIR on the first.
    await victim.post('/volume/upload').attach('file', Buffer.from('{}'), 'warm-up.txt');
    secrets = ['PRIVATE-OF-THE-VICTIM', 'root:x:0:0', dataDir, homes];
    const heads = [await fs.readFile('/proc/self/environ')];
    for (const name of await fs.readdir(dataDir)) {
      const stats = await fs.lstat(path.join(dataDir, name));
      if (stats.isFile() && stats.size >= 24) heads.push(await fs.readFile(path.join(dataDir, name)));
    }
    for (const head of heads) secrets.push(head.subarray(0, 24).toString('base64'), head.subarray(0, 24).toString('latin1'));
    untouched = await outsideSnapshot();
  });

  after(async () => {
    await world?.stop();
  });

  /** The attacker's home afresh: d/f.txt with one checkpoint, and d/t.txt in the trash. */
  async function seedHome(): Promise<Ids> {
    await fs.rm(attackerHome, {recursive: true, force: true});
    const write = (name: string, content: string) =>
      attacker.post('/volume/file').send({type: 'file', path: 'd', name, content}).expect(200);
    await write('f.txt', 'first');
    await write('f.txt', 'second');
    const checkpoints = await attacker.get('/volume/checkpoints').query({path: 'd/f.txt'}).expect(200);
    await write('t.txt', 'trashed');
    const trashed = await attacker.delete('/volume/file').query({path: 'd/t.txt'}).expect(200);
    return {checkpoint: checkpoints.body[0].id, trash: trashed.body.id};
  }

  function targets(kind: Kind): Record<string, string | 'FIFO'> {
    return kind === 'folder'
      ? {'/etc': '/etc', DATA_DIR: dataDir, '/proc/self': '/proc/self', 'another home': victimHome, '/dev/zero': '/dev/zero'}
      : {
          '/etc/passwd': '/etc/passwd',
          'the secret key': path.join(dataDir, 'secrets.key'),
          '/proc/self/environ': '/proc/self/environ',
          "another user's file": path.join(victimHome, 'private.txt'),
          '/dev/zero': '/dev/zero',
          'a FIFO outside': path.join(outside, 'fifo'),
          'a FIFO in place': 'FIFO',
        };
  }

  async function plant(where: string, target: string): Promise<void> {
    const full = path.join(attackerHome, where);
    await fs.rm(full, {recursive: true, force: true});
    if (target === 'FIFO') execFileSync('mkfifo', [full]);
    else await fs.symlink(target, full);
  }

  it('plants against a DATA_DIR that holds the secret key the file targets name', async () => {
    expect((await fs.lstat(path.join(dataDir, 'secrets.key'))).isFile()).to.be.true();
  });

  for (const [route, {send, refusedAt}] of Object.entries(ROUTES)) {
    it(`${route}: refuses every planted entry on its way, answers nothing behind it, changes nothing outside`, async () => {
      const problems: string[] = [];
      let refused = 0;
      for (const [positionName, position] of Object.entries(POSITIONS)) {
        for (const [targetName, target] of Object.entries(targets(position.kind))) {
          if (positionName === 'home' && target === 'FIFO') continue;
          const ids = await seedHome();
          await plant(position.at(ids), target);
          const res = await send(attacker, ids);
          const must = refusedAt.includes(positionName);
          const label = `${positionName} -> ${targetName}: ${res.status} ${res.text.slice(0, 200)}`;
          if (res.status >= 500 || (must && (res.status < 400 || res.status >= 500))) problems.push(label);
          if (must) refused++;
          const leaked = secrets.filter(piece => res.text.includes(piece));
          if (leaked.length > 0) problems.push(`${label} answers what lies outside: ${leaked.join(', ')}`);
        }
      }
      expect(problems).to.deepEqual([]);
      expect(refused).to.be.greaterThan(0);
      const after = await outsideSnapshot();
      const changed = [...new Set([...untouched.keys(), ...after.keys()])].filter(key => untouched.get(key) !== after.get(key));
      expect(changed).to.deepEqual([]);
    });
  }
});
