/*
 * src/framework/ leans on shapes LoopBack, the juggler, the MongoDB
 * connector, express and Node do not promise to keep. Each test here holds
 * one of them as the framework uses it, so that an upgrade that changes it
 * fails here, naming the shape, before anything else breaks in a subtler way.
 */
import {AuthorizationInterceptor} from '@loopback/authorization';
import {ContextTags, intercept, INTERCEPT_CLASS_KEY, INTERCEPT_METHOD_KEY, MetadataInspector} from '@loopback/core';
import {juggler} from '@loopback/repository';
import {RestApplication, RestMiddlewareGroups, RestServer, Route, RouteEntry, Trie, TrieRouter} from '@loopback/rest';
import {ExplorerController} from '@loopback/rest-explorer/dist/rest-explorer.controller';
import {expect} from '@loopback/testlab';
import {applyFilter, Memory} from 'loopback-datasource-juggler/lib/connectors/memory';
import {nearFilter} from 'loopback-datasource-juggler/lib/geo';
import {selectFields} from 'loopback-datasource-juggler/lib/utils';
import {existsSync} from 'node:fs';
import {Server} from 'node:http';
import {createRequire} from 'node:module';
import path from 'node:path';
import {createWithPrototypes} from '../../../src/framework/request-prototypes';

interface ModelStatics {
  _normalize(filter: object, options: object): void;
  _sanitizeQuery(query: {where: unknown}, options: object): {where: unknown};
  _coerce(where: object, options: object): object;
}

function memoryModel(): {model: ModelStatics; connector: Memory} {
  const dataSource = new juggler.DataSource({name: 'shapes', connector: 'memory'});
  const model = dataSource.createModel('Shape', {id: {type: 'string', id: true}, n: 'number', s: 'string'});
  return {model: model as unknown as ModelStatics, connector: dataSource.connector as unknown as Memory};
}

describe("The framework's borrowed shapes (src/framework)", () => {
  it('juggler models normalise a filter in place with _normalize: fields as a list of names, limit as a number, offset and skip set', () => {
    const {model} = memoryModel();
    const filter = {fields: {s: true}, order: 's ASC', limit: '2'};
    model._normalize(filter, {});
    expect(filter).to.deepEqual({fields: ['s'], order: 's ASC', limit: 2, offset: 0, skip: 0});
  });

  it('juggler models prepare a where clause with _sanitizeQuery, then type its values by the properties with _coerce', () => {
    const {model} = memoryModel();
    const sanitized = model._sanitizeQuery({where: {n: '5', s: 3}}, {}).where as object;
    expect(sanitized).to.deepEqual({n: '5', s: 3});
    expect(model._coerce(sanitized, {})).to.deepEqual({n: 5, s: '3'});
  });

  it("the juggler's memory connector keeps models in _models, rows as JSON in cache, ids in ids, creates with _createSync and finds with _findAllSkippingIncludes", () => {
    const {connector} = memoryModel();
    expect(Object.keys(connector._models)).to.deepEqual(['Shape']);
    const created: unknown[] = [];
    connector._createSync('Shape', {id: 'a', n: 1, s: 'x'}, (err, id) => created.push(err, id));
    expect(created).to.deepEqual([null, 'a']);
    expect(connector.cache.Shape).to.deepEqual({a: JSON.stringify({id: 'a', n: 1, s: 'x'})});
    expect(connector.ids.Shape).to.equal(2);
    expect(connector._findAllSkippingIncludes('Shape', {where: {n: 1}})).to.deepEqual([{id: 'a', n: 1, s: 'x'}]);
    expect(connector._findAllSkippingIncludes('Shape', {where: {n: 2}})).to.deepEqual([]);
  });

  it("the juggler's memory connector has the methods the durable store overrides or calls, with their arities", () => {
    const arities: Record<string, number> = {
      connect: 1,
      parseAndLoad: 2,
      setupFileQueue: 0,
      saveToFile: 2,
      collection: 2,
      fromDb: 2,
      idNames: 1,
      getIdValue: 2,
      _createSync: 3,
      _findAllSkippingIncludes: 2,
      save: 4,
      destroy: 4,
      destroyAll: 4,
      update: 5,
      updateAll: 5,
      replaceById: 5,
      replaceOrCreate: 4,
      all: 4,
      count: 4,
    };
    const found = Object.fromEntries(
      Object.keys(arities).map(name => [name, (Memory.prototype as unknown as Record<string, Function | undefined>)[name]?.length]),
    );
    expect(found).to.deepEqual(arities);
  });

  it("the juggler's lib/ helpers: applyFilter makes a row predicate, nearFilter finds no near clause, selectFields picks fields", () => {
    const matches = applyFilter({where: {n: 1}});
    expect([matches({n: 1}), matches({n: 2})]).to.deepEqual([true, false]);
    expect(nearFilter({n: 1})).to.be.false();
    expect(selectFields(['n'])({n: 1, s: 2})).to.deepEqual({n: 1});
  });

  it("loopback-connector-mongodb's connector opens a collection by name with collection(name)", () => {
    const {MongoDB} = require('loopback-connector-mongodb') as {MongoDB: {prototype: {collection?: Function}}};
    expect(MongoDB.prototype.collection).to.be.a.Function();
    expect(MongoDB.prototype.collection!.length).to.equal(1);
  });

  it("LoopBack's TrieRouter keeps its routes in the `trie` property, matched by getKey(verb, path), with path parameters", () => {
    const router = new TrieRouter();
    router.add(new Route('get', '/shapes/{id}', {responses: {}}, () => undefined));
    const internals = router as unknown as {trie: Trie<RouteEntry>; getKey(verb: string, path: string): string};
    expect(internals.trie).to.be.instanceOf(Trie);
    const found = internals.trie.match(internals.getKey('get', '/shapes/42'));
    expect(found?.params).to.deepEqual({id: '42'});
    expect(found?.node.value?.path).to.equal('/shapes/{id}');
    expect(TrieRouter.prototype).to.have.property('findRouteWithPathVars');
  });

  it("LoopBack's @intercept keeps its interceptors under INTERCEPT_CLASS_KEY and INTERCEPT_METHOD_KEY, and global ones name their source by a tag", () => {
    const first = () => undefined;
    const second = () => undefined;
    @intercept(first)
    class Intercepted {
      @intercept(second)
      method(): void {}
    }
    expect(MetadataInspector.getClassMetadata(INTERCEPT_CLASS_KEY, Intercepted)).to.deepEqual([first]);
    expect(MetadataInspector.getMethodMetadata(INTERCEPT_METHOD_KEY, Intercepted.prototype, 'method')).to.deepEqual([second]);
    expect(ContextTags.GLOBAL_INTERCEPTOR_SOURCE).to.equal('globalInterceptorSource');
    expect(AuthorizationInterceptor).to.be.a.Function();
  });

  it("LoopBack's action middleware groups CORS, the spec endpoints and other middleware as cors, apiSpec and middleware", () => {
    expect([RestMiddlewareGroups.CORS, RestMiddlewareGroups.API_SPEC, RestMiddlewareGroups.MIDDLEWARE]).to.deepEqual([
      'cors',
      'apiSpec',
      'middleware',
    ]);
  });

  it("@loopback/rest-explorer's controller is in its dist folder, its page loading the spec through its method `spec`", () => {
    expect(Object.getOwnPropertyDescriptor(ExplorerController.prototype, 'spec')?.value).to.be.a.Function();
  });

  it("the explorer's swagger-ui-dist answers its folder from absolute-path.js, alone", () => {
    const explorerRequire = createRequire(require.resolve('@loopback/rest-explorer'));
    const absolutePath = explorerRequire('swagger-ui-dist/absolute-path.js') as () => string;
    expect(existsSync(path.join(absolutePath(), 'swagger-ui-bundle.js'))).to.be.true();
  });

  it('@loopback/rest parses JSON with the body-parser and type-is it depends on', () => {
    const restRequire = createRequire(require.resolve('@loopback/rest'));
    expect((restRequire('body-parser') as {json: Function}).json).to.be.a.Function();
    const {is} = restRequire('type-is') as {is: (type: string, ...types: string[]) => string | false};
    expect(is('application/vnd.x+json', '*/json', '*/*+json')).to.equal('application/vnd.x+json');
  });

  it("LoopBack's REST server hands requests to an express app with its request and response prototypes", async () => {
    const app = new RestApplication({rest: {port: 0, listenOnStart: false}});
    const server = await app.getServer(RestServer);
    const express = server.requestHandler as unknown as {request?: object; response?: object};
    expect(express.request).to.be.an.Object();
    expect(express.response).to.be.an.Object();
  });

  it("Node's http.Server keeps the classes it creates requests and responses with under its own symbols", () => {
    const server = new Server();
    const descriptions = Object.getOwnPropertySymbols(server).map(symbol => symbol.description);
    expect(descriptions).to.containDeep(['IncomingMessage', 'ServerResponse']);
    expect(createWithPrototypes(server, {}, {})).to.be.true();
  });
});
