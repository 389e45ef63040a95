import {expect} from '@loopback/testlab';
import {execFileSync} from 'node:child_process';
import path from 'node:path';
import {parseByteSize} from '../../src/utils/byte-size.util';

const HUB_PACKAGE = path.resolve(__dirname, '../../../hub');

/** What the hub's spawner makes of each value (bytes, or null where it refuses it). */
function hubReadings(values: unknown[]): Array<number | null> {
  const script = [
    'import json, sys',
    'from notebooks_hub_spawner.options import parse_memory',
    'def read(value):',
    '    try:',
    '        return parse_memory(value)',
    '    except Exception:',
    '        return None',
    'print(json.dumps([read(v) for v in json.load(sys.stdin)]))',
  ].join('\n');
  const output = execFileSync('/usr/bin/python3', ['-c', script], {
    input: JSON.stringify(values),
    env: {...process.env, PYTHONPATH: HUB_PACKAGE, PYTHONDONTWRITEBYTECODE: '1'},
  });
  return JSON.parse(output.toString('utf8'));
}

/** Memory sizes of the hardware file, which the hub's spawner reads too (parse_memory). */
describe('parseByteSize', () => {
  it('reads units as powers of 1024, with Gi and GB for G, any case, and a bare number as bytes', () => {
    const sizes = ['2G', '512M', '1.5G', '64K', '1T', '2Gi', '2GB', '2GiB', '2g', ' 2 G ', '1048576', 1048576, '100B'];
    expect(sizes.map(parseByteSize)).to.deepEqual([
      2 * 1024 ** 3,
      512 * 1024 ** 2,
      1.5 * 1024 ** 3,
      64 * 1024,
      1024 ** 4,
      2 * 1024 ** 3,
      2 * 1024 ** 3,
      2 * 1024 ** 3,
      2 * 1024 ** 3,
      2 * 1024 ** 3,
      1048576,
      1048576,
      100,
    ]);
  });

  it('drops a fraction of a byte, as int() does', () => {
    expect(parseByteSize('1.0000001K')).to.equal(1024);
    expect(parseByteSize('0.5K')).to.equal(512);
  });

  it('refuses what is not a size, naming it', () => {
    for (const [value, reason] of [
      ['', /optional unit/],
      ['G', /optional unit/],
      ['2X', /optional unit/],
      ['-1G', /optional unit/],
      ['2 G B', /optional unit/],
      ['0', /positive/],
      ['0.4', /positive/],
      [1.5, /string like/],
      [true, /string like/],
      [null, /string like/],
      [{gb: 2}, /string like/],
    ] as const) {
      expect(() => parseByteSize(value)).to.throw(reason);
    }
    expect(() => parseByteSize('2X')).to.throw(/memory "2X"/);
  });

  it("reads every value as the hub's spawner does", () => {
    const values = [
      '2G',
      '512M',
      '1.5G',
      '0.1G',
      '3.3M',
      '8k',
      '2Gi',
      '2GB',
      '2gib',
      '100',
      4096,
      '100B',
      ' 1 T ',
      '',
      'G',
      '2X',
      '0',
      '0.4',
      1.5,
      true,
      null,
    ];
    const ours = values.map(value => {
      try {
        return parseByteSize(value);
      } catch {
        return null;
      }
    });
    expect(ours).to.deepEqual(hubReadings(values));
  });
});
