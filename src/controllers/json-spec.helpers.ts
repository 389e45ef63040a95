import {RequestBodyObject, SchemaObject} from '@loopback/rest';

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

/** Operation spec with one 200 JSON response, for @get/@post and friends. */
export function jsonResponse(description: string, schema: SchemaObject) {
  return {
    responses: {'200': {description, content: {'application/json': {schema}}}},
  };
}
