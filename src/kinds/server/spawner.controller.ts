import {authenticate} from '@loopback/authentication';
import {BindingScope, inject, injectable, service} from '@loopback/core';
import {oas, param, post, requestBody, Response, RestBindings, SchemaObject} from '@loopback/rest';
import {requireSpawner} from '../../authorization/access-requirement';
import {SPAWNER_TOKEN_STRATEGY} from '../../keys';
import type {LaunchPlan} from './launch-plan.service';
import {LaunchRedemption, LaunchTicketService} from './launch-ticket.service';
import {forbidCaching} from '../../utils/cache-control.util';
import {DATASET_ANSWER, MODULE_ANSWER, SECRET_ANSWER, STARTING_SERVER_ANSWER, TEMPLATE_ANSWER} from '../answer-examples';
import {jsonBody, jsonResponse} from '../json-spec.helpers';

const UUID: SchemaObject = {type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'};
const NAME: SchemaObject = {type: 'string', minLength: 1, maxLength: 255};

/** hub/notebooks_hub_spawner/launch_plan.schema.json in OpenAPI's terms; the API's tests check plans against that file itself. */
const LAUNCH_PLAN: SchemaObject = {
  title: 'LaunchPlan',
  type: 'object',
  additionalProperties: false,
  required: ['hubUser', 'serverName', 'owner', 'application', 'hardware', 'datasets', 'modules', 'secrets'],
  properties: {
    hubUser: {...NAME, description: 'The hub user the ticket was minted for'},
    serverName: {...NAME, description: 'The named server the ticket was minted for'},
    owner: {type: 'string', description: 'The email of the person the server belongs to'},
    application: {type: 'string', description: "The template's applicationType"},
    filePath: {type: 'string', description: 'Opened when the server is ready, relative to the home folder'},
    hardware: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      required: ['name'],
      description: "The template's hardware with the limits its entry gives; null when it names none",
      properties: {
        name: {type: 'string'},
        cpu: {type: 'number', description: 'Cores'},
        memory: {type: 'integer', description: 'Bytes'},
        gpu: {type: 'integer', description: 'Whole GPUs'},
      },
    },
    datasets: {
      type: 'array',
      description: 'Those of the template the owner may read now',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'name', 'source', 'access'],
        properties: {
          id: UUID,
          name: {type: 'string', description: 'The folder under ~/datasets is made from it'},
          source: {...UUID, description: "The dataset's folder under the datasets root"},
          access: {
            type: 'string',
            enum: ['read', 'write'],
            description: 'write only when the dataset allows writing and the owner may write it',
          },
        },
      },
    },
    modules: {
      type: 'array',
      description: 'Those of the template the owner may read now, loaded in this order as owner/name/version',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'owner', 'name', 'version'],
        properties: {id: UUID, owner: {type: 'string'}, name: {type: 'string'}, version: {type: 'string'}},
      },
    },
    secrets: {
      type: 'array',
      description: 'Those of the template the owner may read now, with their values',
      items: {
        oneOf: [
          {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'secretName', 'type', 'variables'],
            properties: {
              id: UUID,
              secretName: {type: 'string'},
              type: {type: 'string', enum: ['env_var']},
              variables: {type: 'object', additionalProperties: {type: 'string'}, description: 'Environment variables to set'},
            },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'secretName', 'type', 'path', 'content'],
            properties: {
              id: UUID,
              secretName: {type: 'string'},
              type: {type: 'string', enum: ['raw']},
              path: {type: 'string', description: "The file, relative to the person's secrets folder"},
              content: {type: 'string'},
            },
          },
        ],
      },
    },
  },
};

const REDEMPTION: SchemaObject = {
  title: 'LaunchRedemption',
  type: 'object',
  additionalProperties: false,
  properties: {
    launchTicket: {
      type: 'string',
      maxLength: 256,
      description: "The `launchTicket` of the server's user_options; without it the launch is refused",
    },
    limitsEnforced: {
      type: 'boolean',
      description: "false when this hub cannot enforce the hardware's memory and CPU limits; shown on the server",
    },
  },
};

/** The hub's spawner calls this while it starts a server; no person can. */
@oas.tags('Spawner')
@injectable({scope: BindingScope.SINGLETON})
export class SpawnerController {
  constructor(
    @service(LaunchTicketService)
    private readonly launchTickets: LaunchTicketService,
  ) {}

  @authenticate(SPAWNER_TOKEN_STRATEGY)
  @requireSpawner()
  @post('/hub/servers/{hubUser}/{serverName}/launch', {
    operationId: 'redeemLaunchTicket',
    summary: "Redeem a starting server's launch ticket for its launch plan",
    description:
      "For the hub's spawner only (`Authorization: Bearer <SPAWNER_TOKEN>`): spends the launch ticket the API put in the " +
      "server's user_options and answers the launch plan, decided now from its owner's access, secret values included. " +
      'A ticket is good once, for a few minutes, for that server of that hub user while it is starting; anything else is ' +
      '403 `launch_refused` (addition).',
    ...jsonResponse('The launch plan', LAUNCH_PLAN, {
      hubUser: STARTING_SERVER_ANSWER.hubUser,
      serverName: STARTING_SERVER_ANSWER.name,
      owner: STARTING_SERVER_ANSWER.owner,
      application: TEMPLATE_ANSWER.applicationType,
      hardware: {name: 'small', cpu: 1, memory: 2147483648},
      datasets: [{id: DATASET_ANSWER._id, name: DATASET_ANSWER.name, source: DATASET_ANSWER._id, access: 'read'}],
      modules: [{id: MODULE_ANSWER._id, owner: MODULE_ANSWER.owner, name: MODULE_ANSWER.name, version: MODULE_ANSWER.version}],
      secrets: [{id: SECRET_ANSWER._id, secretName: SECRET_ANSWER.secretName, type: 'env_var', variables: {DB_USER: 'lab', DB_PASSWORD: 'change-me'}}],
    }),
  })
  async redeem(
    @param.path.string('hubUser') hubUser: string,
    @param.path.string('serverName') serverName: string,
    @requestBody(jsonBody(REDEMPTION, {launchTicket: 'ZXhhbXBsZS10aWNrZXQtZnJvbS11c2VyLW9wdGlvbnM', limitsEnforced: true}))
    body: LaunchRedemption,
    @inject(RestBindings.Http.RESPONSE) response: Response,
  ): Promise<LaunchPlan> {
    forbidCaching(response);
    return this.launchTickets.redeem(hubUser, serverName, body);
  }
}
