import {getAuthorizationMetadata} from '@loopback/authorization';
import {Context, inject, injectable} from '@loopback/core';
import {asSpecEnhancer, HeaderObject, OASEnhancer, OpenApiSpec, OperationObject, ResponseObject, SchemaObject} from '@loopback/rest';
import type {AccessRequirement} from '../authorization/access-requirement';
import {authenticatesCaller} from '../authentication/security-schemes.spec-enhancer';
import {controllerOperations} from './controller-operations';
import {ERROR_CODES} from '../utils/api-error.util';

/** The one schema of every error answer. */
export const ERROR_SCHEMA_NAME = 'Error';

const ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['statusCode', 'message', 'code'],
      additionalProperties: false,
      properties: {
        statusCode: {type: 'integer', description: 'The HTTP status, again'},
        name: {type: 'string', description: 'The error\'s class, e.g. NotFoundError (absent on 5xx)'},
        message: {type: 'string', description: 'What went wrong, for people: never branch on it'},
        code: {type: 'string', enum: Object.keys(ERROR_CODES), description: 'What went wrong, for programs: stable, see the README\'s table'},
        details: {
          type: 'array',
          description: 'With validation_failed: each offending field; with an invalid notebook: what nbformat says of it',
          items: {
            oneOf: [
              {type: 'string'},
              {
                type: 'object',
                required: ['path', 'code', 'message'],
                properties: {path: {type: 'string'}, code: {type: 'string'}, message: {type: 'string'}, info: {type: 'object'}},
              },
            ],
          },
        },
      },
    },
  },
};

const STATUS_NAMES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
  507: 'InsufficientStorage',
};

/** The shared answer of an error status, for an operation that answers it where the rules below do not say so. */
export function errorResponseRef(status: keyof typeof STATUS_NAMES): {$ref: string} {
  return {$ref: `#/components/responses/${STATUS_NAMES[status]}`};
}

/** Routes that write files under a home, a dataset or the modules root. */
const WRITES_FILES = /^\/(volume\/|datasets|modules)/;

/**
 * Declares, on every operation, each error status it can answer, all with
 * the one error schema (`Error`, whose `code` is one of ERROR_CODES): what
 * follows from the operation itself (its security, parameters, body and
 * access requirement, whether it writes, whether it writes files), so a
 * route added later is declared as the ones before it.
 */
@injectable(asSpecEnhancer)
export class ErrorResponsesSpecEnhancer implements OASEnhancer {
  readonly name = 'error-responses';

  constructor(@inject.context() private readonly context: Context) {}

  modifySpec(spec: OpenApiSpec): OpenApiSpec {
    for (const {path, method, operation, controller} of controllerOperations(this.context, spec)) {
      const requirement = controller
        ? (getAuthorizationMetadata(controller.prototype, operation['x-operation-name']) as AccessRequirement | undefined)
        : undefined;
      for (const status of statusesOf(path, method, operation, requirement)) {
        operation.responses[status] ??= errorResponseRef(status);
      }
    }
    spec.components = {
      ...spec.components,
      schemas: {...spec.components?.schemas, [ERROR_SCHEMA_NAME]: ERROR_SCHEMA},
      responses: {...spec.components?.responses, ...errorResponses()},
    };
    return spec;
  }
}

function statusesOf(path: string, method: string, operation: OperationObject, requirement: AccessRequirement | undefined): number[] {
  const statuses = [500];
  const secured = authenticatesCaller(operation);
  // A signed-in route checks the token against the provider's keys (502/503/504 when it cannot) and may refuse (401/403).
  if (secured) statuses.push(401, 403, 502, 503, 504);
  const hasBody = operation.requestBody !== undefined;
  const filesRoute = path.startsWith('/volume/');
  if ((operation.parameters?.length ?? 0) > 0 || hasBody) statuses.push(400);
  // File reads and checkpoints stop at FILE_READ_MAX_BYTES.
  if (hasBody || filesRoute) statuses.push(413);
  if (hasBody) statuses.push(415);
  if (requirement?.resource !== undefined || path.includes('{')) statuses.push(404);
  // Writes meet taken keys and states that refuse them; a files route meets a folder where a file should be.
  if ((method !== 'get' && secured) || filesRoute) statuses.push(409);
  if (method !== 'get' && WRITES_FILES.test(path)) statuses.push(507);
  // RATE_LIMIT_AUTH_PER_MINUTE per client address, RATE_LIMIT_WRITES_PER_MINUTE per caller.
  if (path.startsWith('/auth/') || (method !== 'get' && secured)) statuses.push(429);
  return [...new Set(statuses)].sort();
}

const RETRY_AFTER: HeaderObject = {description: 'Seconds until the limit starts over', schema: {type: 'integer', minimum: 1}};

function errorResponses(): Record<string, ResponseObject> {
  return Object.fromEntries(
    Object.entries(STATUS_NAMES).map(([status, name]) => {
      const codes = Object.entries(ERROR_CODES)
        .filter(([, code]) => code.status === Number(status))
        .map(([code]) => `\`${code}\``);
      return [
        name,
        {
          description: `${name.replace(/([a-z])([A-Z])/g, '$1 $2')}: code ${codes.join(', ')}`,
          ...(status === '429' ? {headers: {'Retry-After': RETRY_AFTER}} : {}),
          content: {'application/json': {schema: {$ref: `#/components/schemas/${ERROR_SCHEMA_NAME}`}}},
        },
      ];
    }),
  );
}
