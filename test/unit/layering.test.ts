import {expect} from '@loopback/testlab';
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(__dirname, '../../../src');

/** Every TypeScript file below `folder`, with its text. */
function sources(folder: string): Array<[string, string]> {
  return readdirSync(path.join(SRC, folder), {recursive: true})
    .map(String)
    .filter(name => name.endsWith('.ts'))
    .map(name => [name, readFileSync(path.join(SRC, folder, name), 'utf8')]);
}

/**
 * The folders and top files of src/ from the ground up, as the README's
 * Architecture lists them: a file imports from its own floor or those
 * below it, but for UPWARD.
 */
const FLOORS = [
  ['utils', 'validation.ts', 'config.ts', 'middleware'],
  ['models'],
  ['types', 'keys.ts'],
  ['framework'],
  ['datasources', 'repositories'],
  ['services'],
  ['authentication', 'authorization', 'enhancers'],
  ['kinds'],
  ['controllers', 'observers', 'sequences', 'providers', 'interceptors', 'body-parsers', 'booters'],
  ['application.ts'],
  ['index.ts', 'openapi-spec.ts'],
];

/** The imports that run back up, each named and justified in the README's Architecture. */
const UPWARD = [
  'services/files/volume.service.ts -> kinds/module/module.service.ts',
  'services/lifecycle/shutdown.service.ts -> kinds/server/server-progress.service.ts',
  'services/observability/metrics.service.ts -> kinds/server/server.model.ts',
  'datasources/db.datasource.ts -> services/logger.service.ts',
];

/** Each file of src/ and the files of src/ it imports (type-only imports too), by paths relative to src/. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [name, text] of sources('.')) {
    const imported = [...text.matchAll(/(?:from|import)\s+'(\.{1,2}\/[^']*)'/g)].flatMap(([, from]) => {
      const target = path.join(path.dirname(name), from);
      const file = [`${target}.ts`, `${target}.d.ts`, path.join(target, 'index.ts')].find(candidate =>
        existsSync(path.join(SRC, candidate)),
      );
      return file ? [file] : [];
    });
    graph.set(name, imported);
  }
  return graph;
}

function floorOf(file: string): number {
  return FLOORS.findIndex(floor => floor.includes(file.split('/')[0]));
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

  it('has no import circle: no files of src/ import each other in a loop', () => {
    const graph = importGraph();
    const done = new Set<string>();
    const circles: string[] = [];
    const visit = (file: string, trail: string[]) => {
      if (trail.includes(file)) {
        circles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '));
        return;
      }
      if (done.has(file)) return;
      for (const imported of graph.get(file) ?? []) visit(imported, [...trail, file]);
      done.add(file);
    };
    for (const file of graph.keys()) visit(file, []);
    expect(circles).to.deepEqual([]);
  });

  it('imports only from its own floor or the floors below, but for the upward imports the README names', () => {
    const graph = importGraph();
    expect([...graph.keys()].filter(file => floorOf(file) < 0)).to.deepEqual([]);
    const upward = [...graph].flatMap(([file, imported]) =>
      imported.filter(target => floorOf(target) > floorOf(file)).map(target => `${file} -> ${target}`),
    );
    expect(upward.sort()).to.deepEqual([...UPWARD].sort());
  });

  it("keeps the framework's private parts in src/framework/: no other file uses them", () => {
    const offending = sources('.').filter(
      ([name, text]) => !name.startsWith('framework/') && PRIVATE_SHAPES.some(shape => shape.test(text)),
    );
    expect(offending.map(([name]) => name)).to.deepEqual([]);
  });

  it("keeps the files layer off the hub and the resource kinds but for a module's binaries folder", () => {
    const offending = sources('services/files').flatMap(([name, text]) =>
      [...text.matchAll(/from '([^']+)'/g)]
        .map(([, from]) => from)
        .filter(from => /\/hub\/|\/kinds\//.test(from) && from !== '../../kinds/module/module.service')
        .map(from => `${name}: ${from}`),
    );
    expect(offending).to.deepEqual([]);
  });
});
