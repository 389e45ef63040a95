import {expect} from '@loopback/testlab';
import {promises as fs} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {AppConfig} from '../../src/config';
import {HardwareService} from '../../src/services/hub/hardware.service';
import {REPO_ROOT} from '../fixtures/repo-files';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

const serviceOf = (hardwareFile: string) => new HardwareService({hardwareFile} as AppConfig);

describe('HardwareService', () => {
  let folder: string;
  let file: string;
  const write = (content: unknown) => fs.writeFile(file, JSON.stringify(content));

  before(async () => {
    folder = await fs.mkdtemp(path.join(os.tmpdir(), 'hardware-'));
    file = path.join(folder, 'hardware.json');
  });

  after(async () => {
    await fs.rm(folder, {recursive: true, force: true});
  });

  it('ships options that each carry cpu and memory, and the gpu option a GPU', async () => {
    const hardware = serviceOf(path.join(REPO_ROOT, 'config/hardware.json'));
    const options = await hardware.options();
    expect(options.map(o => o.name)).to.eql(['small', 'medium', 'large', 'gpu']);
    for (const option of options) expect(option).to.have.properties('cpu', 'memory');
    expect(await hardware.limits('small')).to.eql({name: 'small', cpu: 1, memory: 2 * GIB});
    expect(await hardware.limits('medium')).to.eql({name: 'medium', cpu: 2, memory: 8 * GIB});
    expect(await hardware.limits('large')).to.eql({name: 'large', cpu: 8, memory: 32 * GIB});
    expect(await hardware.limits('gpu')).to.eql({name: 'gpu', cpu: 8, memory: 64 * GIB, gpu: 1});
    expect(await hardware.limits('quantum')).to.be.undefined();
  });

  it('gives the test hub options a two-core machine can run', async () => {
    const options = await serviceOf(path.join(REPO_ROOT, 'test/fixtures/jupyterhub/hardware.json')).options();
    expect(options.map(o => o.name)).to.eql(['small', 'fail-on-purpose']);
    for (const option of options) {
      expect(option.cpu).to.be.within(0.1, 1);
      expect(option.memory).to.be.within(256 * MIB, GIB);
    }
  });

  it('answers memory in bytes and leaves out the sizes an option leaves out, null or no GPU alike', async () => {
    await write([
      {name: 'half', description: 'Half a core', cpu: 0.5, memory: '1.5G'},
      {name: 'bare', memory: 1048576, gpu: 0},
      {name: 'open', cpu: null, memory: null, gpu: null},
    ]);
    const hardware = serviceOf(file);
    expect(await hardware.options()).to.eql([
      {name: 'half', description: 'Half a core', cpu: 0.5, memory: 1.5 * GIB},
      {name: 'bare', memory: MIB},
      {name: 'open'},
    ]);
    expect(await hardware.limits('half')).to.eql({name: 'half', cpu: 0.5, memory: 1.5 * GIB});
    expect(await hardware.limits('open')).to.eql({name: 'open'});
  });

  it('answers 500 naming the file and the entry when an entry is wrong', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{small: {}}, /must be a JSON array/],
      [['small'], /hardware\[0\] must be an object/],
      [[{description: 'no name'}], /hardware\[0\] needs a "name"/],
      [[{name: 'a'}, {name: 'a'}], /hardware\[1\] \("a"\) is defined twice/],
      [[{name: 'a'}, {name: 'b', cpu: 0}], /hardware\[1\] \("b"\): "cpu" must be a positive number of cores/],
      [[{name: 'a', cpu: '2'}], /hardware\[0\] \("a"\): "cpu" must be a positive number/],
      [[{name: 'a', memory: '2X'}], /hardware\[0\] \("a"\): memory "2X" must be a number with an optional unit K, M, G or T/],
      [[{name: 'a', memory: '0G'}], /hardware\[0\] \("a"\): memory "0G" must be positive/],
      [[{name: 'a', gpu: 1.5}], /hardware\[0\] \("a"\): "gpu" must be a whole number/],
      [[{name: 'a', description: 7}], /hardware\[0\] \("a"\): "description" must be a string/],
    ];
    for (const [content, message] of cases) {
      await write(content);
      const err = await serviceOf(file)
        .options()
        .then(
          () => undefined,
          (e: {statusCode: number; message: string}) => e,
        );
      expect(err).to.containDeep({statusCode: 500});
      expect(err!.message).to.startWith(file);
      expect(err!.message).to.match(message);
    }
    await fs.writeFile(file, '[{"name": ');
    await expect(serviceOf(file).names()).to.be.rejectedWith(new RegExp(`The hardware options in ${file} cannot be read`));
  });
});
