import Module, {createRequire} from 'node:module';

/*
 * The explorer (@loopback/rest-explorer) requires swagger-ui-dist only for
 * the folder its files are served from, but swagger-ui-dist's main module
 * also evaluates its two browser bundles (1.8 MB of webpack code) in Node:
 * about 25 MB resident for nothing. Imported before the explorer, this gives
 * the explorer's swagger-ui-dist as its folder functions alone.
 */
const explorerRequire = createRequire(require.resolve('@loopback/rest-explorer'));
const main = explorerRequire.resolve('swagger-ui-dist');
const absolutePath = explorerRequire('swagger-ui-dist/absolute-path.js') as () => string;
const folderOnly = new Module(main);
folderOnly.filename = main;
folderOnly.loaded = true;
folderOnly.exports = {absolutePath, getAbsoluteFSPath: absolutePath};
require.cache[main] = folderOnly;
