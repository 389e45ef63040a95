import {getAuthenticateMetadata} from '@loopback/authentication';
import {
  Constructor,
  Context,
  CoreTags,
  inject,
  injectable,
} from '@loopback/core';
import {
  asSpecEnhancer,
  OASEnhancer,
  OpenApiSpec,
  OperationObject,
  PathsObject,
} from '@loopback/rest';
import {SPAWNER_TOKEN_STRATEGY} from '../keys';

export const BEARER_SCHEME = 'bearerAuth';
/** The hub spawner's shared token, on its one route. */
export const SPAWNER_SCHEME = 'spawnerToken';

/**
 * Declares the bearer scheme and puts it on exactly the operations the
 * authentication component protects, read from the same @authenticate
 * metadata, so the explorer and generated clients send the token where it
 * is needed.
 */
@injectable(asSpecEnhancer)
export class BearerSecuritySpecEnhancer implements OASEnhancer {
  readonly name = 'bearer-security';

  constructor(@inject.context() private readonly context: Context) {}

  modifySpec(spec: OpenApiSpec): OpenApiSpec {
    const controllers = new Map<string, Constructor<{}>>();
    for (const binding of this.context.findByTag(CoreTags.CONTROLLER)) {
      if (binding.valueConstructor) {
        controllers.set(binding.valueConstructor.name, binding.valueConstructor);
      }
    }
    for (const pathItem of Object.values(spec.paths)) {
      for (const operation of Object.values(pathItem) as OperationObject[]) {
        const controller = controllers.get(operation['x-controller-name']);
        if (!controller) continue;
        const metadata = getAuthenticateMetadata(controller, operation['x-operation-name']);
        const isPublic = metadata?.some(m => m.skip) ?? false;
        const forSpawner = metadata?.every(m => m.strategy === SPAWNER_TOKEN_STRATEGY) ?? false;
        // Public operations say so: an empty requirement, not a missing one.
        operation.security = isPublic ? [] : [{[forSpawner ? SPAWNER_SCHEME : BEARER_SCHEME]: []}];
      }
    }
    spec.components = {
      ...spec.components,
      securitySchemes: {
        ...spec.components?.securitySchemes,
        [BEARER_SCHEME]: {type: 'http', scheme: 'bearer', bearerFormat: 'JWT'},
        [SPAWNER_SCHEME]: {type: 'http', scheme: 'bearer', description: 'SPAWNER_TOKEN, shared by the API and the hub\'s spawner'},
      },
    };
    return spec;
  }
}

/**
 * The spec as the explorer shows it to people: without the spawner's
 * operations and scheme, which only the hub uses, so its Authorize dialog
 * asks for the sign-in token alone. /openapi.json keeps both for the hub's
 * clients.
 */
export function withoutSpawnerScheme(spec: OpenApiSpec): OpenApiSpec {
  const paths: PathsObject = {};
  for (const [route, pathItem] of Object.entries(spec.paths)) {
    const kept = Object.entries(pathItem).filter(
      ([, operation]) => !(operation as OperationObject).security?.some(requirement => SPAWNER_SCHEME in requirement),
    );
    if (kept.length > 0) paths[route] = Object.fromEntries(kept);
  }
  const securitySchemes = {...spec.components?.securitySchemes};
  delete securitySchemes[SPAWNER_SCHEME];
  return {...spec, paths, components: {...spec.components, securitySchemes}};
}
