import {injectable} from '@loopback/core';
import {asSpecEnhancer, OASEnhancer, OpenApiSpec, OperationObject, ReferenceObject, ResponseObject} from '@loopback/rest';

/** The mark `sharedResponse` leaves on an answer: the name of its component. */
export const SHARED_RESPONSE = 'x-shared-response';

/**
 * Moves each answer marked as shared into `components.responses` under its
 * name and refers every operation that gives it there: LoopBack gathers
 * titled schemas into the components by itself, but not responses. Two
 * answers under one name must be the same answer.
 */
@injectable(asSpecEnhancer)
export class SharedResponsesSpecEnhancer implements OASEnhancer {
  readonly name = 'shared-responses';

  modifySpec(spec: OpenApiSpec): OpenApiSpec {
    const shared: Record<string, ResponseObject> = {};
    for (const [route, pathItem] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(pathItem) as Array<[string, OperationObject]>) {
        for (const [status, response] of Object.entries(operation.responses ?? {}) as Array<[string, ResponseObject | ReferenceObject]>) {
          if (!(SHARED_RESPONSE in response)) continue;
          const {[SHARED_RESPONSE]: name, ...answer} = response as ResponseObject;
          if (shared[name] && JSON.stringify(shared[name]) !== JSON.stringify(answer)) {
            throw new Error(`${method.toUpperCase()} ${route} answers ${status} as ${name}, which another operation answers differently`);
          }
          shared[name] = answer;
          operation.responses[status] = {$ref: `#/components/responses/${name}`};
        }
      }
    }
    spec.components = {...spec.components, responses: {...spec.components?.responses, ...shared}};
    return spec;
  }
}
