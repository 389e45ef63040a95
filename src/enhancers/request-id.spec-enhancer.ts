import {injectable} from '@loopback/core';
import {asSpecEnhancer, OASEnhancer, OpenApiSpec, OperationObject, ReferenceObject, ResponseObject} from '@loopback/rest';
import {REQUEST_ID_HEADER} from '../utils/request-scope.util';

const HEADER_NAME = 'RequestId';

/**
 * Declares the X-Request-Id header on every answer (shared error answers
 * included), as the sequence sends it, so clients know they may quote it.
 */
@injectable(asSpecEnhancer)
export class RequestIdSpecEnhancer implements OASEnhancer {
  readonly name = 'request-id';

  modifySpec(spec: OpenApiSpec): OpenApiSpec {
    const ref = {$ref: `#/components/headers/${HEADER_NAME}`};
    const declare = (response: ResponseObject | ReferenceObject) => {
      if ('$ref' in response) return;
      response.headers = {...response.headers, [REQUEST_ID_HEADER]: ref};
    };
    for (const pathItem of Object.values(spec.paths)) {
      for (const operation of Object.values(pathItem) as OperationObject[]) {
        Object.values(operation.responses ?? {}).forEach(declare);
      }
    }
    Object.values(spec.components?.responses ?? {}).forEach(declare);
    spec.components = {
      ...spec.components,
      headers: {
        ...spec.components?.headers,
        [HEADER_NAME]: {
          description:
            "The request's id: the X-Request-Id it came with when that is 1-128 letters, digits or `._:-`, else a new UUID. " +
            'Every log line of the request carries it.',
          schema: {type: 'string', maxLength: 128},
        },
      },
    };
    return spec;
  }
}
