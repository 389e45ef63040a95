import {expect} from '@loopback/testlab';
import {execFile} from 'node:child_process';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {promisify} from 'node:util';
import {LuaModulefileService} from '../../src/kinds/module/lua-modulefile.service';
import {temporaryFolder} from '../fixtures/test-app';

const run = promisify(execFile);
const LMOD_INIT = '/usr/share/lmod/lmod/init/bash';

/** Loads a module with the real Lmod (Debian `lmod`) and answers the environment it leaves. */
async function loadModule(modulePath: string, name: string): Promise<Record<string, string>> {
  const script = `source ${LMOD_INIT} && module use "$1" && module load "$2" && env -0`;
  const {stdout} = await run('bash', ['-c', script, 'lmod-test', modulePath, name], {
    env: {PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: modulePath},
  });
  return Object.fromEntries(
    stdout.split('\0').filter(Boolean).map(entry => {
      const at = entry.indexOf('=');
      return [entry.slice(0, at), entry.slice(at + 1)];
    }),
  );
}

/** Values Lmod exports to the shell: anything on one line. */
const HOSTILE = [
  'plain',
  'double " quote',
  "single ' quote",
  'back\\slash and \\" escaped quote',
  'brackets ]] [[ ]=] [==[',
  '"); os.execute("touch /tmp/notebooks-hub-pwned") --',
  ']] .. os.exit(1) .. [[',
  '.. concatenation ..',
  'end function local return nil true false and or not',
  'unicode é ü € 😀',
  '$(whoami) `id` ${HOME}',
  '-- a comment',
  '; touch /tmp/notebooks-hub-pwned & echo | cat',
];
/** Help text is shown, never evaluated: control characters and line breaks too. */
const HOSTILE_TEXT = [...HOSTILE, 'new\nline and\r\ncarriage return\tand tab', '\u0001 control \u001f and \u007f delete'];

describe('Generated modulefiles in real Lmod', () => {
  const lua = new LuaModulefileService();
  let root: string;
  /** A binaries folder no test puts a program in. */
  const EMPTY_BINARIES = '/nonexistent/binaries/none';

  before(async function () {
    try {
      await fs.access(LMOD_INIT);
    } catch {
      throw new Error('Lmod is not installed: `npm test` installs it through scripts/ensure-test-deps.sh');
    }
    root = await temporaryFolder('lmod');
  });

  it('loads a modulefile built from hostile input with every value intact', async () => {
    const calls = HOSTILE.map((value, i) => ({id: 'setenv', arguments: [`HOSTILE_${i}`, value]}));
    calls.push(
      {id: 'help', arguments: HOSTILE_TEXT},
      {id: 'whatis', arguments: [HOSTILE_TEXT.join(' | ')]},
      {id: 'prepend_path', arguments: ['HOSTILE_PATH', '/opt/with "quotes" ]] and \\ backslash']},
      {id: 'pushenv', arguments: ['HOSTILE_PUSHED', ']]--[[']},
    );
    const folder = path.join(root, 'modulefiles', 'owner@lab.org', 'hostile');
    await fs.mkdir(folder, {recursive: true});
    await fs.writeFile(path.join(folder, '1.0.lua'), lua.render(calls, EMPTY_BINARIES));

    const env = await loadModule(path.join(root, 'modulefiles'), 'owner@lab.org/hostile/1.0');
    HOSTILE.forEach((value, i) => expect(env[`HOSTILE_${i}`]).to.equal(value));
    expect(env.HOSTILE_PATH).to.equal('/opt/with "quotes" ]] and \\ backslash');
    expect(env.HOSTILE_PUSHED).to.equal(']]--[[');
    expect(env.LOADEDMODULES).to.equal('owner@lab.org/hostile/1.0');
    await expect(fs.access('/tmp/notebooks-hub-pwned')).to.be.rejected();
  });

  it('shows help text with line breaks and quotes exactly', async () => {
    const folder = path.join(root, 'modulefiles', 'owner@lab.org', 'helpful');
    await fs.mkdir(folder, {recursive: true});
    await fs.writeFile(path.join(folder, '1.0.lua'), lua.render([{id: 'help', arguments: HOSTILE_TEXT.slice(-2)}], EMPTY_BINARIES));
    const {stderr} = await run(
      'bash',
      ['-c', `source ${LMOD_INIT} && module use "$1" && module help owner@lab.org/helpful/1.0`, 'lmod-test', path.join(root, 'modulefiles')],
      {env: {PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: root}},
    );
    expect(stderr).to.containEql('new\nline and');
    expect(stderr).to.containEql('carriage return\tand tab');
  });

  it('loads a module whose file the API wrote, with its path variables', async () => {
    const folder = path.join(root, 'modulefiles', 'owner@lab.org', 'tools');
    await fs.mkdir(folder, {recursive: true});
    await fs.writeFile(
      path.join(folder, '2.1.lua'),
      lua.render([
        {id: 'whatis', arguments: ['Tools']},
        {id: 'prepend_path', arguments: ['PATH', '/opt/modules/binaries/abc/bin']},
        {id: 'setenv', arguments: ['TOOLS_HOME', '/opt/modules/binaries/abc']},
      ], EMPTY_BINARIES),
    );
    const env = await loadModule(path.join(root, 'modulefiles'), 'owner@lab.org/tools');
    // The module's own prepend_path comes after its binaries folder, so first on PATH.
    expect(env.PATH.split(':').slice(0, 2)).to.deepEqual(['/opt/modules/binaries/abc/bin', EMPTY_BINARIES]);
    expect(env.TOOLS_HOME).to.equal('/opt/modules/binaries/abc');
  });

  it('runs a program of the module\'s binaries folder by name once the module is loaded, and not before', async () => {
    const binaries = path.join(root, 'binaries', 'program-module');
    await fs.mkdir(binaries, {recursive: true});
    await fs.writeFile(path.join(binaries, 'hello-nbhub'), '#!/bin/sh\necho "hello from $0"\n', {mode: 0o755});
    const folder = path.join(root, 'modulefiles', 'owner@lab.org', 'programs');
    await fs.mkdir(folder, {recursive: true});
    await fs.writeFile(path.join(folder, '1.0.lua'), lua.render([], binaries));
    const script = 'source "$1" && module use "$2" && { hello-nbhub 2>/dev/null || echo "not found before load"; } && module load owner@lab.org/programs/1.0 && hello-nbhub';
    const {stdout} = await run('bash', ['-c', script, 'lmod-test', LMOD_INIT, path.join(root, 'modulefiles')], {
      env: {PATH: '/usr/bin:/bin', HOME: root},
    });
    expect(stdout.trim().split('\n')).to.deepEqual(['not found before load', `hello from ${path.join(binaries, 'hello-nbhub')}`]);
  });
});
