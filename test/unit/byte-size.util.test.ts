import {expect} from '@loopback/testlab';
import {parseByteSize} from '../../src/utils/byte-size.util';

/** Memory sizes of the hardware file, as JupyterHub writes them; the launch plan gives the spawner bytes. */
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
});
