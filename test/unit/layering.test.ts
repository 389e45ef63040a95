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

/** What reaches into LoopBack's, the juggler's, express's or Node's private parts: src/framework/ alone may. */
const PRIVATE_SHAPES = [
  /\b_(normalize|sanitizeQuery|coerce|findAllSkippingIncludes|createSync|models)\b/,
  /from '@loopback\/[^']*\/dist\//,
  /'loopback-datasource-juggler\/lib\//,
  /createRequire\(require\.resolve\('@loopback\//,
  /INTERCEPT_(CLASS|METHOD)_KEY/,
  /getOwnPropertySymbols/,
  /requestHandler as unknown as/,
  /connector as unknown as/,
];

describe('Layering of src/', () => {
  it('keeps controllers off the repositories: they call services', () => {
    const offending = sources('.').filter(
      ([name, text]) => name.endsWith('.controller.ts') && /from '(\.\.\/)+(repositories\/|[^']*\.repository')/.test(text),
    );
    expect(offending.map(([name]) => name)).to.deepEqual([]);
  });

  it('groups services by domain: no service file sits directly in services/ beside the domain folders but the shared ones', () => {
    const loose = readdirSync(path.join(SRC, 'services')).filter(name => name.endsWith('.ts'));
    expect(loose.sort()).to.deepEqual(['logger.service.ts', 'pagination.service.ts']);
  });

  it('keeps services/ for services: every file there is a *.service.ts', () => {
    const others = sources('services').filter(([name]) => !name.endsWith('.service.ts'));
    expect(others.map(([name]) => name)).to.deepEqual([]);
  });

  it('keeps the framework\'s private parts in src/framework/: no other file uses them', () => {
    const offending = sources('.').filter(
      ([name, text]) => !name.startsWith('framework/') && PRIVATE_SHAPES.some(shape => shape.test(text)),
    );
    expect(offending.map(([name]) => name)).to.deepEqual([]);
  });

  it('keeps the files layer off the hub and the resource kinds but for a module\'s binaries folder', () => {
    const offending = sources('services/files').flatMap(([name, text]) =>
      [...text.matchAll(/from '([^']+)'/g)]
        .map(([, from]) => from)
        .filter(from => /\/hub\/|\/kinds\//.test(from) && from !== '../../kinds/module/module.service')
        .map(from => `${name}: ${from}`),
    );
    expect(offending).to.deepEqual([]);
  });
});
