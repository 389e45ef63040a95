import {BindingScope, inject, injectable, service} from '@loopback/core';
import {del, get, getModelSchemaRef, oas, param, post, put, Request, requestBody, Response, RestBindings} from '@loopback/rest';
import type {AuthorizedResource} from '../../types/resource-access';
import {ResourceBindings} from '../../keys';
import {SecurityBindings} from '@loopback/security';
import {requireAccess} from '../../authorization/access-requirement';
import {ServerProgressEvent} from '../../models/server-progress-event.model';
import {Server} from './server.model';
import {Template} from '../template/template.model';
import type {Caller} from '../../services/identity/identity.service';
import type {Plain} from '../../models/plain';
import {Envelope, listResponse, pageParam, PaginationService} from '../../services/pagination.service';
import {ServerProgressService} from './server-progress.service';
import {ServerService} from './server.service';
import {TemplateInput, TemplateService} from '../template/template.service';
import {SERVER_ANSWER, STARTING_SERVER_ANSWER, STOPPED_SERVER_ANSWER} from '../answer-examples';
import {jsonBody, jsonResponse, TEMPLATE_EXAMPLE} from '../json-spec.helpers';

const SERVER = getModelSchemaRef(Server);
const NEW_SERVER = getModelSchemaRef(Template, {title: 'NewServerTemplate', exclude: ['_id', 'implicit']});
const PROGRESS_EVENT = getModelSchemaRef(ServerProgressEvent);
/**
 * The progress stream is text, not JSON, and OpenAPI 3.0 cannot give the
 * schema of each event's data: the string's description names it and
 * `x-event-data` refers to it, a component for clients that parse the
 * events. The `definitions` make LoopBack add it to the components.
 */
const PROGRESS_STREAM = {
  type: 'string',
  description: `Server-sent events; each event's \`data:\` is one ServerProgressEvent (${PROGRESS_EVENT.$ref}) as JSON`,
  'x-event-data': {$ref: PROGRESS_EVENT.$ref},
  definitions: PROGRESS_EVENT.definitions,
} as const;
const START = param.query.boolean('start', {description: 'Start the server at once (default true)'});

@oas.tags('Servers')
@injectable({scope: BindingScope.SINGLETON})
export class ServerController {
  constructor(
    @service(ServerService) private readonly servers: ServerService,
    @service(TemplateService) private readonly templates: TemplateService,
    @service(PaginationService) private readonly pages: PaginationService,
    @service(ServerProgressService) private readonly progressOf: ServerProgressService,
  ) {}

  @get('/servers', {operationId: 'listServers', summary: 'List your servers and those shared with you', ...listResponse('/servers', 'Servers the caller may read, from stored statuses (no hub call)', SERVER, SERVER_ANSWER)})
  list(
    @inject(SecurityBindings.USER) caller: Caller,
    @inject(RestBindings.Http.REQUEST) request: Request,
    @param.query.string('owner', {description: 'Only servers of this owner (email)'}) owner?: string,
    @param.query.string('type', {description: 'Only servers whose template has this type'}) type?: string,
    @param.query.string('name', {description: 'Only the server with this hub name'}) name?: string,
    @pageParam.offset() offset?: number,
    @pageParam.limit() limit?: number,
    @pageParam.after() after?: string,
  ): Promise<Array<Plain<Server>> | Envelope<Plain<Server>>> {
    return this.pages.answer({offset, limit, after}, request, page => this.servers.list(caller, {owner, type, name}, page));
  }

  @post('/servers', {operationId: 'createServer', summary: 'Launch a server from a template given in the body', description: 'Creates a private template from the body and a server on it, started unless start=false.',
    ...jsonResponse('The server with its status', SERVER, STARTING_SERVER_ANSWER),
  })
  async create(@inject(SecurityBindings.USER) caller: Caller, @requestBody(jsonBody(NEW_SERVER, TEMPLATE_EXAMPLE)) body: TemplateInput, @START start?: boolean): Promise<Server> {
    return this.servers.create(caller, await this.templates.create(caller, {...body, public: false}, true), start !== false);
  }

  @requireAccess('template', 'read', {in: 'query', name: 'templateId'})
  @put('/servers', {operationId: 'createServerFromTemplate', summary: 'Launch a server from a readable template', description: 'Creates a server of the caller on a readable template, started unless start=false.',
    ...jsonResponse('The server with its status', SERVER, STARTING_SERVER_ANSWER),
  })
  async createFromTemplate(
    @inject(SecurityBindings.USER) caller: Caller,
    @param.query.string('templateId', {required: true}) templateId: string,
    @START start?: boolean,
  ): Promise<Server> {
    return this.servers.create(caller, await this.templates.get(templateId), start !== false);
  }

  @requireAccess('server', 'read')
  @get('/servers/{id}', {operationId: 'getServer', summary: 'Get a server with its stored status', ...jsonResponse('The server, from its stored status', SERVER, SERVER_ANSWER)})
  findById(@param.path.string('id') id: string, @inject(ResourceBindings.AUTHORIZED) server: AuthorizedResource<Server>): Plain<Server> {
    return server.record;
  }

  @requireAccess('server', 'write')
  @put('/servers/{id}/start', {operationId: 'startServer', summary: 'Start a server', ...jsonResponse('The server; starting one that starts or runs changes nothing', SERVER, STARTING_SERVER_ANSWER)})
  start(@inject(SecurityBindings.USER) caller: Caller, @param.path.string('id') id: string): Promise<Server> {
    return this.servers.start(caller, id);
  }

  @requireAccess('server', 'write')
  @put('/servers/{id}/stop', {operationId: 'stopServer', summary: 'Stop a server', ...jsonResponse('The server; stopping a stopped one changes nothing', SERVER, STOPPED_SERVER_ANSWER)})
  stop(@param.path.string('id') id: string): Promise<Server> {
    return this.servers.stop(id);
  }

  @requireAccess('server', 'owner')
  @del('/servers/{id}', {operationId: 'deleteServer', summary: 'Delete a server', description: 'Stops the server if needed, removes the named server from the hub, and deletes its private template when no other server uses it.',
    responses: {'204': {description: 'Deleted'}},
  })
  async remove(@param.path.string('id') id: string): Promise<void> {
    await this.servers.remove(id);
  }

  @requireAccess('server', 'read')
  @get('/servers/{id}/progress', {operationId: 'streamServerProgress', summary: 'Follow a server\'s start as server-sent events', description: 'Server-sent events relaying the hub\'s spawn progress, ending with `ready` and `url`, or `failed` and `message`; a stopping API ends it with `reconnect`.',
    responses: {
      '200': {
        description: 'Server-sent events, each `data:` line one ServerProgressEvent as JSON; `:` lines are heartbeats. The last event has `ready`, `failed` or `reconnect` (the API stopped; open the stream again).',
        content: {'text/event-stream': {schema: PROGRESS_STREAM}},
      },
    },
  })
  async progress(
    @param.path.string('id') id: string,
    @inject(RestBindings.Http.RESPONSE) response: Response,
  ): Promise<Response> {
    await this.progressOf.stream(id, response);
    return response;
  }
}
