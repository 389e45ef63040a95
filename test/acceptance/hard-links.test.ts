import {expect} from '@loopback/testlab';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {ApiWorld, PEOPLE} from '../fixtures/api-world';
import {temporaryFolder} from '../fixtures/test-app';

const SECRET = 'CONTENT-OF-A-FILE-IN-DATA-DIR';

/**
 * A person who can make files in their home (in their server) links a file
 * of DATA_DIR there: the API, which owns that file, must not read it back
 * or copy it. Tests run as the API's own user, as root.
 */
describe('Hard links in a home to files of the API', () => {
  let world: ApiWorld;
  let home: string;
  let dataDir: string;

  before(async () => {
    dataDir = await temporaryFolder('data');
    // A DATA_DIR that others may pass through, as one made before the API made it 0700.
    await fs.chmod(dataDir, 0o755);
    const homes = await temporaryFolder('homes');
    world = await ApiWorld.start({DATA_DIR: dataDir, HOMES_ROOT: homes});
    home = path.join(homes, PEOPLE.owner);
    const owner = await world.as('owner');
    await owner.post('/volume/file').send({type: 'file', name: 'plain.txt', content: 'mine'}).expect(200);
    await owner.post('/secrets').send({secretName: 'a-key', type: 'raw', value: 'x'}).expect(200);
    await fs.writeFile(path.join(dataDir, 'own.txt'), SECRET);
    await fs.link(path.join(dataDir, 'own.txt'), path.join(home, 'linked.txt'));
    await fs.link(path.join(dataDir, 'secrets.key'), path.join(home, 'key.txt'));
  });

  after(async () => {
    await world.stop();
  });

  it('makes DATA_DIR 0700 at start, even one that existed with wider rights', async () => {
    expect((await fs.stat(dataDir)).mode & 0o777).to.equal(0o700);
  });

  it('refuses to read a hard link to a file of the API with 403, saying why', async () => {
    const owner = await world.as('owner');
    for (const name of ['linked.txt', 'key.txt']) {
      const res = await owner.get('/volume/file').query({path: name});
      expect(res.status).to.equal(403, res.text);
      expect(res.body.error.code).to.equal('forbidden');
      expect(res.body.error.message).to.match(/hard link/);
      expect(res.text).not.to.match(new RegExp(`${SECRET}|${dataDir}`));
    }
  });

  it('refuses to keep a checkpoint of it, and keeps none', async () => {
    const owner = await world.as('owner');
    const res = await owner.post('/volume/checkpoints').query({path: 'linked.txt'});
    expect(res.status).to.equal(403, res.text);
    expect(res.text).not.to.match(new RegExp(SECRET));
    expect((await owner.get('/volume/checkpoints').query({path: 'linked.txt'}).expect(200)).body).to.deepEqual([]);
  });

  it('replaces it on a write without keeping its content as a checkpoint, and leaves the file of DATA_DIR as it was', async () => {
    const owner = await world.as('owner');
    await owner.post('/volume/file').send({type: 'file', name: 'key.txt', content: 'new'}).expect(200);
    expect((await owner.get('/volume/checkpoints').query({path: 'key.txt'}).expect(200)).body).to.deepEqual([]);
    expect(await fs.readFile(path.join(home, 'key.txt'), 'utf8')).to.equal('new');
    expect((await fs.stat(path.join(dataDir, 'secrets.key'))).nlink).to.equal(1);
  });

  it('still reads, overwrites and checkpoints an ordinary file of one name', async () => {
    const owner = await world.as('owner');
    expect((await owner.get('/volume/file').query({path: 'plain.txt'}).expect(200)).body.content).to.equal('mine');
    await owner.post('/volume/checkpoints').query({path: 'plain.txt'}).expect(200);
    await owner.post('/volume/file').send({type: 'file', name: 'plain.txt', content: 'mine again'}).expect(200);
    const checkpoints = (await owner.get('/volume/checkpoints').query({path: 'plain.txt'}).expect(200)).body;
    expect(checkpoints).to.have.length(2);
    await owner.post('/volume/checkpoints/restore').query({path: 'plain.txt', id: checkpoints[0].id}).expect(200);
    expect((await owner.get('/volume/file').query({path: 'plain.txt'}).expect(200)).body.content).to.equal('mine');
  });
});
