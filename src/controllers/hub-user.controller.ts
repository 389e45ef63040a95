import {BindingScope, injectable, service} from '@loopback/core';
import {oas, param, put} from '@loopback/rest';
import {requireSelfOrAdmin} from '../authorization/access-requirement';
import {HubUserService, InitializedUser} from '../services/hub/hub-user.service';
import {jsonResponse} from '../kinds/json-spec.helpers';

@oas.tags('Users')
@injectable({scope: BindingScope.SINGLETON})
export class HubUserController {
  constructor(@service(HubUserService) private readonly hubUsers: HubUserService) {}

  @requireSelfOrAdmin()
  @put('/initialize', {operationId: 'initializeUser', summary: 'Create your hub user and home', description: 'Creates the JupyterHub user and the home folder of a person if missing; idempotent. Only the person or an admin.',
    ...jsonResponse('What exists now and what was created', {
      title: 'InitializedUser',
      type: 'object',
      required: ['email', 'username', 'hubUserCreated', 'homeCreated'],
      properties: {
        email: {type: 'string'},
        username: {type: 'string', description: 'The JupyterHub user name'},
        hubUserCreated: {type: 'boolean'},
        homeCreated: {type: 'boolean'},
      },
    }, {email: 'bob@example.org', username: 'bob@example.org', hubUserCreated: true, homeCreated: true}),
  })
  initialize(@param.query.string('email', {required: true}) email: string): Promise<InitializedUser> {
    return this.hubUsers.initialize(email);
  }
}
