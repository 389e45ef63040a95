import {RequestBodyObject, SchemaObject} from '@loopback/rest';

/** A JSON request body of the given schema, for @requestBody. */
export function jsonBody(schema: SchemaObject, required = true): RequestBodyObject {
  return {required, content: {'application/json': {schema}}};
}

/** Operation spec with one 200 JSON response, for @get/@post and friends. */
export function jsonResponse(description: string, schema: SchemaObject) {
  return {
    responses: {'200': {description, content: {'application/json': {schema}}}},
  };
}
