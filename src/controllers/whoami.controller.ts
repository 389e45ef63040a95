import {BindingScope, inject, injectable} from '@loopback/core';
import {get, oas, SchemaObject} from '@loopback/rest';
import {SecurityBindings} from '@loopback/security';
import type {Caller} from '../services/identity/identity.service';
import {jsonResponse} from '../kinds/json-spec.helpers';

const CALLER_SCHEMA: SchemaObject = {
  title: 'Caller',
  type: 'object',
  required: ['email', 'username', 'organisation', 'admin'],
  properties: {
    email: {type: 'string', format: 'email'},
    username: {type: 'string', description: 'The JupyterHub user name'},
    name: {type: 'string'},
    organisation: {type: 'string'},
    admin: {type: 'boolean'},
  },
};

@oas.tags('Users')
@injectable({scope: BindingScope.SINGLETON})
export class WhoamiController {
  @get('/authenticated', {operationId: 'checkAuthenticated', summary: 'Check that your token is valid', ...jsonResponse('The bearer token is valid', {
      title: 'Authenticated',
      type: 'object',
      required: ['authenticated', 'email'],
      properties: {authenticated: {type: 'boolean'}, email: {type: 'string'}},
    }, {authenticated: true, email: 'bob@example.org'})})
  authenticated(@inject(SecurityBindings.USER) caller: Caller): {authenticated: boolean; email: string} {
    return {authenticated: true, email: caller.email};
  }

  @get('/whoami', {operationId: 'whoami', summary: 'Get who you are', ...jsonResponse('The signed-in caller, as read from the access token', CALLER_SCHEMA, {email: 'bob@example.org', username: 'bob@example.org', name: 'Bob Researcher', organisation: 'example.org', admin: false})})
  whoami(@inject(SecurityBindings.USER) caller: Caller): Omit<Caller, symbol> {
    const {email, username, name, organisation, admin} = caller;
    return {email, username, name, organisation, admin};
  }
}
