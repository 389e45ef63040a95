import {expect} from '@loopback/testlab';
import {readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(__dirname, '../../../src');

/** Every TypeScript file below `folder`, with its text. */
function sources(folder: string): Array<[string, string]> {
  return readdirSync(path.join(SRC, folder), {recursive: true})
    .map(String)
    .filter(name => name.endsWith('.ts'))
    .map(name => [name, readFileSync(path.join(SRC, folder, name), 'utf8')]);
}

describe('Layering of src/', () => {
  it('keeps controllers off the repositories: they call services', () => {
    const offending = sources('controllers').filter(([, text]) => /from '\.\.\/repositories\//.test(text));
    expect(offending.map(([name]) => name)).to.deepEqual([]);
  });

  it('groups services by domain: no service file sits directly in services/ beside the domain folders but the shared ones', () => {
    const loose = readdirSync(path.join(SRC, 'services')).filter(name => name.endsWith('.ts'));
    expect(loose.sort()).to.deepEqual(['group.service.ts', 'logger.service.ts', 'pagination.service.ts']);
  });

  it('keeps services/ for services: every file there is a *.service.ts', () => {
    const others = sources('services').filter(([name]) => !name.endsWith('.service.ts'));
    expect(others.map(([name]) => name)).to.deepEqual([]);
  });
});
