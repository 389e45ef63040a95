import {ReferenceObject, RequestBodyObject, ResponseObject, SchemaObject} from '@loopback/rest';
import {SHARED_RESPONSE} from '../enhancers/shared-responses.spec-enhancer';

/**
 * A JSON request body of the given schema, for @requestBody, with the
 * example the explorer fills in: one a signed-in user can send as it is.
 */
export function jsonBody(schema: SchemaObject, example?: object, required = true): RequestBodyObject {
  return {required, content: {'application/json': {schema, ...(example ? {example} : {})}}};
}

/** The example of every share and revoke body. */
export const SHARE_EXAMPLE = {relation: 'read', userArray: ['colleague@example.org']};

/** A template as the explorer offers it: the first hardware option of the default HARDWARE_FILE, no references. */
export const TEMPLATE_EXAMPLE = {
  name: 'Python analysis',
  description: 'JupyterLab with the lab\'s Python stack',
  applicationType: 'JupyterLab',
  hardware: 'small',
  type: 'custom',
  public: false,
  tags: ['python'],
  idleTimeoutMinutes: 120,
};

/** A JSON answer with the example the explorer shows and generated clients document: one the API could send. */
export function jsonAnswer(description: string, schema: SchemaObject | ReferenceObject, example: unknown): ResponseObject {
  return {description, content: {'application/json': {schema, example}}};
}

/** Operation spec with one 200 JSON response and its example, for @get/@post and friends. */
export function jsonResponse(description: string, schema: SchemaObject | ReferenceObject, example: unknown) {
  return {responses: {'200': jsonAnswer(description, schema, example)}};
}

/**
 * An answer several operations give alike, declared once as
 * `components.responses[name]` and referred to by each of them, so a
 * generated client has one type for it rather than one per operation.
 */
export function sharedResponse(name: string, response: ResponseObject): ResponseObject {
  return {...response, [SHARED_RESPONSE]: name};
}
