import {BindingScope, inject, injectable, service} from '@loopback/core';
import {del, get, getJsonSchema, getModelSchemaRef, oas, param, patch, post, Request, requestBody, Response, RestBindings, SchemaObject} from '@loopback/rest';
import {SecurityBindings} from '@loopback/security';
import type {AuthorizedResource} from '../../types/resource-access';
import {ResourceBindings} from '../../keys';
import {requireAccess} from '../../authorization/access-requirement';
import {Secret, SECRET_TYPES} from './secret.model';
import type {Caller} from '../../services/identity/identity.service';
import type {Plain} from '../../models/plain';
import {Envelope, listResponse, pageParam, PaginationService} from '../../services/pagination.service';
import {SecretInput, SecretPatch, SecretService, SecretWithValue} from './secret.service';
import {ENV_NAME_MAX_LENGTH, ENV_NAME_PATTERN} from '../../utils/env-name.util';
import {DESCRIPTION_MAX_LENGTH, NAME_PATTERN, SECRET_PATH_MAX_LENGTH, SECRET_PATH_PATTERN} from '../../validation';
import {forbidCaching} from '../../utils/cache-control.util';
import {SECRET_ANSWER} from '../answer-examples';
import {jsonBody, jsonResponse} from '../json-spec.helpers';

const SECRET = getModelSchemaRef(Secret, {title: 'Secret', exclude: ['state']});
const VALUE: SchemaObject = {
  description:
    `env_var: an object of environment variable names to strings; raw: the file content as a string. A name matches ${ENV_NAME_PATTERN}, ` +
    `has at most ${ENV_NAME_MAX_LENGTH} characters and is none of the loader, shell, interpreter, module system or Jupyter/hub variables ` +
    '(e.g. PATH, LD_PRELOAD, BASH_ENV, PYTHONSTARTUP, NODE_OPTIONS, JUPYTERHUB_API_TOKEN): those are refused with 400 naming them.',
  oneOf: [
    {type: 'string'},
    {type: 'object', additionalProperties: {type: 'string'}, maxProperties: 200},
  ],
};
const SECRET_FIELDS: Record<string, SchemaObject> = {
  secretName: {type: 'string', pattern: NAME_PATTERN},
  description: {type: 'string', maxLength: DESCRIPTION_MAX_LENGTH},
  mount_path: {
    type: 'string',
    maxLength: SECRET_PATH_MAX_LENGTH,
    pattern: SECRET_PATH_PATTERN,
    description: 'raw only: where a server puts the file, relative to ~/.secrets, e.g. aws/credentials',
  },
  value: VALUE,
};
const NEW_SECRET: SchemaObject = {
  title: 'NewSecret',
  type: 'object',
  required: ['secretName', 'type', 'value'],
  additionalProperties: false,
  properties: {...SECRET_FIELDS, type: {type: 'string', enum: [...SECRET_TYPES]}},
};
const SECRET_PATCH: SchemaObject = {title: 'SecretPatch', type: 'object', additionalProperties: false, properties: SECRET_FIELDS};
/** The metadata's own schema with the value beside it: one closed object, as the answer is. */
const METADATA = getJsonSchema(Secret, {exclude: ['state']}) as SchemaObject;
const WITH_VALUE: SchemaObject = {
  ...METADATA,
  title: 'SecretWithValue',
  required: [...(METADATA.required ?? []), 'value'],
  properties: {...METADATA.properties, value: VALUE},
};

/** Secret metadata and values; values leave the API only through GET /secret/{id}. */
@oas.tags('Secrets')
@injectable({scope: BindingScope.SINGLETON})
export class SecretController {
  constructor(
    @service(SecretService) private readonly secrets: SecretService,
    @service(PaginationService) private readonly pages: PaginationService,
  ) {}

  @get('/secrets', {operationId: 'listSecrets', summary: 'List the secrets you may read, without values', ...listResponse('/secrets', 'Secrets the caller may read, without their values', SECRET, SECRET_ANSWER)})
  list(
    @inject(SecurityBindings.USER) caller: Caller,
    @inject(RestBindings.Http.REQUEST) request: Request,
    @param.query.string('owner', {description: 'Only secrets of this owner (email)'}) owner?: string,
    @param.query.string('type', {schema: {type: 'string', enum: [...SECRET_TYPES]}}) type?: string,
    @param.query.string('name', {description: 'Only secrets with this secretName'}) name?: string,
    @pageParam.offset() offset?: number,
    @pageParam.limit() limit?: number,
    @pageParam.after() after?: string,
  ): Promise<Array<Plain<Secret>> | Envelope<Plain<Secret>>> {
    return this.pages.answer({offset, limit, after}, request, page => this.secrets.list(caller, {owner, type, name}, page));
  }

  @post('/secrets', {operationId: 'createSecret', summary: 'Store a secret', description: 'Stores the value in the secret store and the metadata in the database: both or neither.',
    ...jsonResponse('The new secret\'s metadata', SECRET, SECRET_ANSWER),
  })
  create(@inject(SecurityBindings.USER) caller: Caller, @requestBody(jsonBody(NEW_SECRET, {secretName: 'lab-database', type: 'env_var', description: 'Login of the lab database', value: {DB_USER: 'lab', DB_PASSWORD: 'change-me'}})) body: SecretInput): Promise<Secret> {
    return this.secrets.create(caller, body);
  }

  @requireAccess('secret', 'read')
  @get('/secret/{id}', {operationId: 'getSecret', summary: 'Get a secret with its value', ...jsonResponse('The secret with its value', WITH_VALUE, {...SECRET_ANSWER, value: {DB_USER: 'lab', DB_PASSWORD: 'change-me'}})})
  findById(
    @param.path.string('id') id: string,
    @inject(ResourceBindings.AUTHORIZED) secret: AuthorizedResource<Secret>,
    @inject(RestBindings.Http.RESPONSE) response: Response,
  ): Promise<SecretWithValue> {
    forbidCaching(response);
    return this.secrets.withValue(secret.record);
  }

  @requireAccess('secret', 'write')
  @patch('/secret/{id}', {operationId: 'updateSecret', summary: 'Change a secret\'s metadata or value', ...jsonResponse('The updated metadata; a value given becomes the new version', SECRET, {...SECRET_ANSWER, description: 'Login of the lab database (read only)'})})
  update(@param.path.string('id') id: string, @requestBody(jsonBody(SECRET_PATCH, {description: 'Login of the lab database (read only)'})) body: SecretPatch): Promise<Secret> {
    return this.secrets.update(id, body);
  }

  @requireAccess('secret', 'owner')
  @del('/secret/{id}', {operationId: 'deleteSecret', summary: 'Delete a secret and every version of its value', description: 'Removes every version of the value from the store, then the metadata.',
    responses: {'204': {description: 'Deleted'}},
  })
  async remove(@param.path.string('id') id: string): Promise<void> {
    await this.secrets.remove(id);
  }
}
