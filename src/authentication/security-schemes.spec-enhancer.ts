import {getAuthenticateMetadata} from '@loopback/authentication';
import {Context, inject, injectable} from '@loopback/core';
import {asSpecEnhancer, OASEnhancer, OpenApiSpec, OperationObject, PathsObject, SecuritySchemeObject} from '@loopback/rest';
import {controllerOperations} from '../enhancers/controller-operations';
import {OIDC_BEARER_STRATEGY, OPENBIS_SESSION_STRATEGY, SPAWNER_TOKEN_STRATEGY} from '../keys';
import {SIGN_IN_COOKIE} from '../services/identity/sign-in-transaction.service';

export const BEARER_SCHEME = 'bearerAuth';
/** The openBIS ELN's session token, on the ELN's route beside the bearer token. */
export const OPENBIS_SCHEME = 'openbisToken';
/** The hub spawner's shared token, on its one route. */
export const SPAWNER_SCHEME = 'spawnerToken';
/** The sign-in cookie POST /auth/authorize sets and POST /auth/token needs. */
export const SIGN_IN_COOKIE_SCHEME = 'signInCookie';

const SCHEMES: Record<string, SecuritySchemeObject> = {
  [BEARER_SCHEME]: {type: 'http', scheme: 'bearer', bearerFormat: 'JWT'},
  [OPENBIS_SCHEME]: {
    type: 'apiKey',
    in: 'query',
    name: 'token',
    description: 'An openBIS session token, checked against OPENBIS_URL: the openBIS ELN\'s way in, on POST /volume/file alone',
  },
  [SIGN_IN_COOKIE_SCHEME]: {
    type: 'apiKey',
    in: 'cookie',
    name: SIGN_IN_COOKIE,
    description:
      'Set by POST /auth/authorize (HttpOnly, Path=/auth): the PKCE verifiers of the sign-ins this client started, so that only it ' +
      'can finish them. Browsers send it by themselves; other clients send back what they were given.',
  },
  [SPAWNER_SCHEME]: {type: 'http', scheme: 'bearer', description: 'SPAWNER_TOKEN, shared by the API and the hub\'s spawner'},
};

/** The scheme each authentication strategy checks, in the order operations list them. */
const STRATEGY_SCHEMES: Record<string, string> = {
  [OIDC_BEARER_STRATEGY]: BEARER_SCHEME,
  [OPENBIS_SESSION_STRATEGY]: OPENBIS_SCHEME,
  [SPAWNER_TOKEN_STRATEGY]: SPAWNER_SCHEME,
};
const CALLER_SCHEMES = new Set(Object.values(STRATEGY_SCHEMES));

/**
 * Declares the security schemes and puts on each operation those of the
 * strategies the authentication component runs for it (read from the same
 * @authenticate metadata), any of which lets a caller in, so the explorer
 * and generated clients send the credential where it is needed. A public
 * operation keeps what it declares itself (POST /auth/token: the sign-in
 * cookie, which is no caller's identity), else an empty requirement.
 */
@injectable(asSpecEnhancer)
export class SecuritySchemesSpecEnhancer implements OASEnhancer {
  readonly name = 'security-schemes';

  constructor(@inject.context() private readonly context: Context) {}

  modifySpec(spec: OpenApiSpec): OpenApiSpec {
    for (const {operation, controller} of controllerOperations(this.context, spec)) {
      if (!controller) continue;
      const metadata = getAuthenticateMetadata(controller, operation['x-operation-name']);
      if (metadata?.some(m => m.skip)) {
        operation.security ??= [];
        continue;
      }
      const strategies = metadata?.map(m => m.strategy) ?? [OIDC_BEARER_STRATEGY];
      const unknown = strategies.filter(strategy => !(strategy in STRATEGY_SCHEMES));
      if (unknown.length > 0) throw new Error(`Authentication strategies without a security scheme: ${unknown.join(', ')}`);
      operation.security = Object.entries(STRATEGY_SCHEMES)
        .filter(([strategy]) => strategies.includes(strategy))
        .map(([, scheme]) => ({[scheme]: []}));
    }
    spec.components = {...spec.components, securitySchemes: {...spec.components?.securitySchemes, ...SCHEMES}};
    return spec;
  }
}

/** Whether the operation lets in only callers who prove who they are (a token, not the sign-in cookie). */
export function authenticatesCaller(operation: OperationObject): boolean {
  return (operation.security ?? []).some(requirement => Object.keys(requirement).some(scheme => CALLER_SCHEMES.has(scheme)));
}

/**
 * The spec as the explorer shows it to people: without the spawner's
 * operations and scheme, which only the hub uses, and without the sign-in
 * cookie's scheme, which no one can fill in its Authorize dialog (the
 * cookie is HttpOnly, and the explorer's browser sends it by itself on
 * POST /auth/token after POST /auth/authorize). The openBIS token stays: a
 * person holding an openBIS session can try the ELN's write with it.
 * /openapi.json keeps everything for the hub's and other clients.
 */
export function forPeople(spec: OpenApiSpec): OpenApiSpec {
  const hidden = new Set([SPAWNER_SCHEME, SIGN_IN_COOKIE_SCHEME]);
  const paths: PathsObject = {};
  for (const [route, pathItem] of Object.entries(spec.paths)) {
    const kept = (Object.entries(pathItem) as Array<[string, OperationObject]>)
      .filter(([, operation]) => !operation.security?.some(requirement => SPAWNER_SCHEME in requirement))
      .map(([method, operation]) => [
        method,
        operation.security ? {...operation, security: operation.security.filter(requirement => !Object.keys(requirement).some(scheme => hidden.has(scheme)))} : operation,
      ]);
    if (kept.length > 0) paths[route] = Object.fromEntries(kept);
  }
  const securitySchemes = {...spec.components?.securitySchemes};
  for (const scheme of hidden) delete securitySchemes[scheme];
  return {...spec, paths, components: {...spec.components, securitySchemes}};
}
