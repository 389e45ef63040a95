import {authenticate} from '@loopback/authentication';
import {BindingScope, inject, injectable, service} from '@loopback/core';
import {get, oas, param, Response, RestBindings} from '@loopback/rest';
import {requireSpawner} from '../authorization/access-requirement';
import {SPAWNER_TOKEN_STRATEGY} from '../keys';
import {SpawnerSecretsService, SpawnSecret} from '../services/hub/spawner-secrets.service';
import {errorResponseRef} from '../enhancers/error-responses.spec-enhancer';
import {forbidCaching} from '../utils/cache-control.util';
import {jsonResponse} from './json-spec.helpers';

/** The hub's spawner calls this while it starts a server; no person can. */
@oas.tags('Spawner')
@injectable({scope: BindingScope.SINGLETON})
export class SpawnerController {
  constructor(
    @service(SpawnerSecretsService)
    private readonly secrets: SpawnerSecretsService,
  ) {}

  @authenticate(SPAWNER_TOKEN_STRATEGY)
  @requireSpawner()
  @get('/hub/servers/{hubUser}/{serverName}/secrets', {operationId: 'getStartingServerSecrets', summary: 'Give the hub\'s spawner the secrets of a starting server', description:
      "For the hub's spawner only (`Authorization: Bearer <SPAWNER_TOKEN>`): the values of the secrets of a server that is " +
      'starting, those of its template its owner may read. 409 when the server is not starting (addition).',
    responses: {
      ...jsonResponse('The secrets with their values', {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'secretName', 'type', 'value'],
        properties: {
          id: {type: 'string'},
          secretName: {type: 'string'},
          type: {type: 'string', enum: ['env_var', 'raw']},
          mount_path: {type: 'string'},
          value: {
            oneOf: [{type: 'string'}, {type: 'object', additionalProperties: {type: 'string'}}],
            description: 'env_var: the variables; raw: the file content',
          },
        },
      },
    }).responses,
      '409': errorResponseRef(409),
    },
  })
  async secretsOfStartingServer(
    @param.path.string('hubUser') hubUser: string,
    @param.path.string('serverName') serverName: string,
    @inject(RestBindings.Http.RESPONSE) response: Response,
  ): Promise<SpawnSecret[]> {
    forbidCaching(response);
    return this.secrets.forStartingServer(hubUser, serverName);
  }
}
