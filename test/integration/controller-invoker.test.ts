import {BindingScope, Context, inject, injectable, intercept, Interceptor} from '@loopback/core';
import {
  FindRoute,
  get,
  param,
  ParseParams,
  RequestContext,
  RestApplication,
  RestBindings,
  SequenceActions,
  SequenceHandler,
  writeResultToResponse,
} from '@loopback/rest';
import {Client, createRestAppClient, expect} from '@loopback/testlab';
import {ControllerInvoker} from '../../src/framework/controller-invoker';

/**
 * The invoker skips LoopBack's per-request interceptor chain only where the
 * API's one interceptor (authorization) is all there is; any other
 * interceptor, of a method, a controller or global, must still run.
 */
describe('ControllerInvoker runs every interceptor a route has', () => {
  const calls: string[] = [];
  const recording =
    (name: string): Interceptor =>
    async (_invocation, next) => {
      calls.push(name);
      return next();
    };

  class GreetingController {
    @get('/plain')
    plain(@param.query.string('name') name: string, @inject(RestBindings.Http.REQUEST) request: {path: string}) {
      return {hello: name, path: request.path};
    }

    @intercept(recording('method'))
    @get('/intercepted')
    intercepted() {
      return {intercepted: true};
    }
  }

  @injectable({scope: BindingScope.SINGLETON})
  class InvokingSequence implements SequenceHandler {
    private readonly invoker: ControllerInvoker;
    constructor(
      @inject.context() serverContext: Context,
      @inject(RestBindings.HANDLER) private readonly handler: {findRoute: FindRoute},
      @inject(SequenceActions.PARSE_PARAMS) private readonly parseParams: ParseParams,
    ) {
      this.invoker = new ControllerInvoker(serverContext);
    }

    async handle(context: RequestContext): Promise<void> {
      const route = this.handler.findRoute(context.request);
      route.updateBindings(context);
      const args = await this.parseParams(context.request, route);
      writeResultToResponse(context.response, await this.invoker.invoke(route, context, args));
    }
  }

  async function startApp(withGlobalInterceptor: boolean): Promise<{app: RestApplication; client: Client}> {
    const app = new RestApplication({rest: {port: 0, host: '127.0.0.1'}});
    app.sequence(InvokingSequence);
    app.controller(GreetingController);
    if (withGlobalInterceptor) app.interceptor(recording('global'), {global: true, name: 'recording'});
    await app.start();
    return {app, client: createRestAppClient(app)};
  }

  beforeEach(() => {
    calls.length = 0;
  });

  it('invokes a method without interceptors with its arguments and injected parameters', async () => {
    const {app, client} = await startApp(false);
    try {
      const res = await client.get('/plain?name=ada').expect(200);
      expect(res.body).to.deepEqual({hello: 'ada', path: '/plain'});
      expect(calls).to.be.empty();
    } finally {
      await app.stop();
    }
  });

  it("runs a method's own interceptor", async () => {
    const {app, client} = await startApp(false);
    try {
      await client.get('/intercepted').expect(200, {intercepted: true});
      await client.get('/intercepted').expect(200);
      expect(calls).to.deepEqual(['method', 'method']);
    } finally {
      await app.stop();
    }
  });

  it('runs a global interceptor other than authorization on every route', async () => {
    const {app, client} = await startApp(true);
    try {
      await client.get('/plain?name=bob').expect(200, {hello: 'bob', path: '/plain'});
      await client.get('/intercepted').expect(200);
      expect(calls).to.deepEqual(['global', 'global', 'method']);
    } finally {
      await app.stop();
    }
  });

  it('runs a global interceptor bound after the route was first invoked', async () => {
    const {app, client} = await startApp(false);
    try {
      await client.get('/plain?name=eve').expect(200);
      app.interceptor(recording('late'), {global: true, name: 'late'});
      await client.get('/plain?name=eve').expect(200);
      expect(calls).to.deepEqual(['late']);
    } finally {
      await app.stop();
    }
  });
});
