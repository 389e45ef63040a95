import {BindingScope, Context, inject, injectable, service} from '@loopback/core';
import {
  BaseRoute,
  HttpErrors,
  HttpHandler,
  InvokeMiddleware,
  MiddlewareView,
  ParseParams,
  Reject,
  RequestContext,
  Request,
  ResolvedRoute,
  RestBindings,
  SequenceActions,
  SequenceHandler,
  Response,
  writeResultToResponse,
} from '@loopback/rest';
import {SecurityBindings} from '@loopback/security';
import {EMBEDDED_OIDC_PATH} from '../config';
import {LoggerService} from '../services/logger.service';
import {RateLimiterService} from '../services/rate-limits/rate-limiter.service';
import {MetricsService, UNMATCHED_ROUTE} from '../services/observability/metrics.service';
import {REQUEST_ID_HEADER, requestIdFrom, RequestScope, runInRequestScope, userHash} from '../utils/request-scope.util';
import {ControllerInvoker} from '../framework/controller-invoker';
import {actionMiddlewareView, answerAuthenticationFailure, RouteAuthentication} from '../framework/route-authentication';

/**
 * The API's request sequence, one instance for the process. The default
 * MiddlewareSequence resolves every step, the route's authentication
 * metadata and its strategies anew for each request, most of a request's
 * framework time (profiled; see the README's Performance). This one resolves what
 * does not change once: the steps, the action middleware's order, and each
 * route's strategies and interceptors the first time the route is asked
 * for. It keeps what the default one does here: CORS and the OpenAPI
 * endpoints (the action middleware), routing, the route's authentication,
 * parameter parsing and validation, the method with its interceptors
 * (authorization), the JSON error format and the request log; and the rate
 * limits, sign-in before routing, writes once the caller is known. Each
 * request gets an id (X-Request-Id, its own if sane), answered and carried
 * by every log line written while it is handled, and is counted in the
 * metrics under its route's path template.
 */
@injectable({scope: BindingScope.SINGLETON})
export class FastSequence implements SequenceHandler {
  /** The action middleware (CORS, OpenAPI endpoints) in order. */
  private readonly actionMiddleware: MiddlewareView;
  private readonly authentication = new RouteAuthentication();
  private readonly controllers: ControllerInvoker;

  constructor(
    @inject.context() serverContext: Context,
    @inject(RestBindings.HANDLER) private readonly handler: HttpHandler,
    @inject(SequenceActions.PARSE_PARAMS) private readonly parseParams: ParseParams,
    @inject(SequenceActions.REJECT) private readonly reject: Reject,
    @inject(SequenceActions.INVOKE_MIDDLEWARE) private readonly invokeMiddleware: InvokeMiddleware,
    @service(LoggerService) private readonly logger: LoggerService,
    @service(RateLimiterService) private readonly rateLimits: RateLimiterService,
    @service(MetricsService) private readonly metrics: MetricsService,
  ) {
    this.actionMiddleware = actionMiddlewareView(serverContext);
    this.controllers = new ControllerInvoker(serverContext);
  }

  handle(context: RequestContext): Promise<void> {
    const scope: RequestScope = {requestId: requestIdFrom(context.request.headers['x-request-id'])};
    context.response.setHeader(REQUEST_ID_HEADER, scope.requestId);
    return runInRequestScope(scope, () => this.answer(context, scope));
  }

  private async answer(context: RequestContext, scope: RequestScope): Promise<void> {
    const {request, response} = context;
    const seen: Seen = {};
    this.recordWhenAnswered(context, scope, seen);
    try {
      const answered = await this.invokeMiddleware(context, {
        middlewareList: this.actionMiddleware.middlewareBindingKeys,
      });
      if (answered) {
        seen.byMiddleware = true;
        return;
      }
      this.rateLimits.checkSignIn(request);
      const route = this.handler.findRoute(request);
      seen.route = route;
      route.updateBindings(context);
      // The authorizer reads the route's path parameters from here, as under the default sequence.
      context.bind(RestBindings.Operation.ROUTE).to(route);
      const strategies = await this.authentication.strategiesFor(route, context);
      if (strategies) {
        const caller = await this.authentication.authenticate(strategies, context);
        if (typeof caller.email === 'string') scope.user = userHash(caller.email);
        context.bind(SecurityBindings.USER).to(caller);
        this.rateLimits.checkWrite(request.method, caller);
      }
      const args = await this.parseParams(request, route);
      const result = await this.controllers.invoke(route, context, args);
      writeAnswer(response, result);
    } catch (err) {
      answerAuthenticationFailure(err);
      // No API route and no Express route took the request: maybe the path is the API's, with another method.
      const unrouted = (err as {statusCode?: number}).statusCode === 404 && !(seen.route instanceof BaseRoute);
      this.reject(context, (unrouted ? this.methodNotAllowed(request, seen) : undefined) ?? (err as Error));
    }
  }

  /**
   * A 405 naming the methods the API has for the request's path in `Allow`,
   * or undefined when it has none. Asked only once a request found no
   * route, so answered requests pay nothing for it; the router itself
   * matches each method, so templates and trailing slashes count as in
   * routing.
   */
  private methodNotAllowed({method, path}: Request, seen: Seen): HttpErrors.HttpError | undefined {
    const allowed: ResolvedRoute[] = [];
    for (const other of HTTP_METHODS) {
      if (other === method) continue;
      const route = this.handler.findRoute({method: other, path} as Request);
      if (route instanceof BaseRoute) allowed.push(route);
    }
    if (allowed.length === 0) return undefined;
    // Counted under the path's template, like the requests it does take.
    seen.route = allowed[0];
    const allow = allowed.map(route => route.verb.toUpperCase()).join(', ');
    return Object.assign(new HttpErrors.MethodNotAllowed(`Method ${method} is not allowed on ${path}; it allows ${allow}.`), {
      headers: {Allow: allow},
    });
  }

  /**
   * Counts each answered request in the metrics and logs one line for it:
   * method, path without its query string (the ELN sends its token there;
   * the original URL, since a mounted router such as the provider's sees
   * its path without the mount prefix), status, duration.
   */
  private recordWhenAnswered({request, response}: RequestContext, scope: RequestScope, seen: Seen): void {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const status = response.statusCode;
      this.metrics.requestAnswered(request.method, routeLabel(request.method, request.originalUrl, status, seen), status, ms / 1000);
      if (!this.logger.enabled('info')) return;
      const query = request.originalUrl.indexOf('?');
      this.logger.info('request', {
        requestId: scope.requestId,
        user: scope.user,
        method: request.method,
        path: query < 0 ? request.originalUrl : request.originalUrl.slice(0, query),
        status,
        ms,
      });
    });
  }
}

/** How far the sequence got with a request, for its metrics label. */
interface Seen {
  route?: ResolvedRoute;
  byMiddleware?: true;
}

/** The methods a path may have, in the order `Allow` lists them. */
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** The endpoints of the spec, answered by the action middleware. */
const SPEC_ENDPOINTS = new Set(['/openapi.json', '/openapi.yaml']);

/**
 * The route label of an answered request: the path template of the API's
 * routes (`/datasets/{id}`), one label per kind of everything else, never a
 * raw path, so the number of series stays bounded whatever clients ask for.
 */
function routeLabel(method: string, url: string, status: number, {route, byMiddleware}: Seen): string {
  if (byMiddleware) {
    if (method === 'OPTIONS') return '(preflight)';
    const path = url.split('?', 1)[0];
    return SPEC_ENDPOINTS.has(path) ? path : '(middleware)';
  }
  if (!route) return UNMATCHED_ROUTE;
  if (route instanceof BaseRoute) return route.path;
  // Else an Express route (the provider's, files of public/); a 404 means none of them answered the path.
  if (status === 404) return UNMATCHED_ROUTE;
  const mounted = url === EMBEDDED_OIDC_PATH || url.startsWith(`${EMBEDDED_OIDC_PATH}/`) || url.startsWith(`${EMBEDDED_OIDC_PATH}?`);
  return mounted ? `${EMBEDDED_OIDC_PATH}/*` : '(static)';
}

/**
 * LoopBack's writer, except that a JSON media type the handler chose (the
 * JupyterHub pagination envelope's) is kept: the writer would answer every
 * object as application/json.
 */
function writeAnswer(response: Response, result: unknown): void {
  const chosen = response.getHeader('Content-Type');
  if (typeof chosen === 'string' && chosen.endsWith('+json') && typeof result === 'object' && result !== null && result !== response) {
    response.end(JSON.stringify(result));
    return;
  }
  writeResultToResponse(response, result);
}
