import {
  AUTHENTICATION_STRATEGY_NOT_FOUND,
  AuthenticateFn,
  AuthenticationBindings,
  USER_PROFILE_NOT_FOUND,
} from '@loopback/authentication';
import {inject, service} from '@loopback/core';
import {
  FindRoute,
  InvokeMethod,
  InvokeMiddleware,
  ParseParams,
  Reject,
  RequestContext,
  RestBindings,
  Send,
  SequenceActions,
  SequenceHandler,
} from '@loopback/rest';
import {LoggerService} from '../services/logger.service';

/**
 * The API's request sequence: the route's steps called directly instead of
 * through the default MiddlewareSequence's chain, which resolves every step
 * as a middleware binding anew for each request (most of a request's
 * framework time, see shared/notes/performance.md). It keeps what the
 * default one does here:
 * CORS and the OpenAPI endpoints (the action middleware chain), routing, the
 * route's authentication, parameter parsing and validation, the method with
 * its interceptors (authorization), the JSON error format and the request log.
 */
export class FastSequence implements SequenceHandler {
  constructor(
    @inject(SequenceActions.FIND_ROUTE) private readonly findRoute: FindRoute,
    @inject(SequenceActions.PARSE_PARAMS) private readonly parseParams: ParseParams,
    @inject(SequenceActions.INVOKE_METHOD) private readonly invoke: InvokeMethod,
    @inject(SequenceActions.SEND) private readonly send: Send,
    @inject(SequenceActions.REJECT) private readonly reject: Reject,
    @inject(SequenceActions.INVOKE_MIDDLEWARE) private readonly invokeMiddleware: InvokeMiddleware,
    @service(LoggerService) private readonly logger: LoggerService,
  ) {}

  async handle(context: RequestContext): Promise<void> {
    const {request, response} = context;
    this.logWhenAnswered(context);
    try {
      if (await this.invokeMiddleware(context)) return;
      const route = this.findRoute(request);
      // The authorizer reads the route's path parameters from here, as under the default sequence.
      context.bind(RestBindings.Operation.ROUTE).to(route);
      // The strategy depends on the route, so the action is resolved in the request's context.
      const authenticate = await context.get<AuthenticateFn>(AuthenticationBindings.AUTH_ACTION);
      await authenticate(request);
      const args = await this.parseParams(request, route);
      const result = await this.invoke(route, args);
      this.send(response, result);
    } catch (err) {
      const code = (err as {code?: string}).code;
      if (code === AUTHENTICATION_STRATEGY_NOT_FOUND || code === USER_PROFILE_NOT_FOUND) {
        Object.assign(err as object, {statusCode: 401});
      }
      this.reject(context, err as Error);
    }
  }

  /** One log line per answered request: method, path without its query string (the ELN sends its token there), status, duration. */
  private logWhenAnswered({request, response}: RequestContext): void {
    if (!this.logger.enabled('info')) return;
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      this.logger.info('request', {
        method: request.method,
        path: request.path,
        status: response.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      });
    });
  }
}
