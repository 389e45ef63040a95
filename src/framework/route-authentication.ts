import {
  AUTHENTICATION_STRATEGY_NOT_FOUND,
  AuthenticationBindings,
  AuthenticationStrategy,
  USER_PROFILE_NOT_FOUND,
} from '@loopback/authentication';
import {Context} from '@loopback/core';
import {MiddlewareView, RequestContext, ResolvedRoute, RestTags} from '@loopback/rest';
import {UserProfile} from '@loopback/security';
import {routeKey} from './controller-invoker';

/**
 * What @loopback/authentication's action does for a route, with the
 * route's strategies resolved once per route instead of for each request.
 */
export class RouteAuthentication {
  /** Per route (verb and path), its strategies, or undefined for a public route. */
  private readonly strategiesByRoute = new Map<string, Promise<AuthenticationStrategy[] | undefined>>();

  /**
   * The strategies of the route as @loopback/authentication resolves them
   * (its metadata, else the default), once per route: they depend on the
   * controller method only, and every strategy is a singleton.
   */
  strategiesFor(route: ResolvedRoute, context: RequestContext): Promise<AuthenticationStrategy[] | undefined> {
    const key = routeKey(route);
    let strategies = this.strategiesByRoute.get(key);
    if (!strategies) {
      strategies = context.get<AuthenticationStrategy[] | undefined>(AuthenticationBindings.STRATEGY);
      this.strategiesByRoute.set(key, strategies);
      // A failure (a strategy not registered) is answered, and looked up again next time.
      strategies.catch(() => this.strategiesByRoute.delete(key));
    }
    return strategies;
  }

  /**
   * What @loopback/authentication's action does with a route's strategies:
   * the first one that returns a profile wins; otherwise the first failure,
   * or a 401 when none failed.
   */
  async authenticate(strategies: AuthenticationStrategy[], {request}: RequestContext): Promise<UserProfile> {
    const failures: unknown[] = [];
    for (const strategy of strategies) {
      try {
        const profile = await strategy.authenticate(request);
        if (profile) return profile as UserProfile;
      } catch (err) {
        failures.push(err);
      }
    }
    if (failures.length > 0) throw failures[0];
    throw Object.assign(new Error("User profile not returned from strategy's authenticate function"), {
      code: USER_PROFILE_NOT_FOUND,
    });
  }
}

/** Answers 401 for the authentication component's own failures (no such strategy, no profile), as its action does. */
export function answerAuthenticationFailure(err: unknown): void {
  const code = (err as {code?: string}).code;
  if (code === AUTHENTICATION_STRATEGY_NOT_FOUND || code === USER_PROFILE_NOT_FOUND) {
    Object.assign(err as object, {statusCode: 401});
  }
}

/** The action middleware (CORS, OpenAPI endpoints), in the groups and chain the default INVOKE_MIDDLEWARE action uses; the view follows bindings added later. */
export function actionMiddlewareView(serverContext: Context): MiddlewareView {
  return new MiddlewareView(serverContext, {
    chain: RestTags.ACTION_MIDDLEWARE_CHAIN,
    orderedGroups: ['cors', 'apiSpec', 'middleware'],
  });
}
