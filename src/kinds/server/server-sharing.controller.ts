import {inject, service} from '@loopback/core';
import {get, oas, param} from '@loopback/rest';
import {requireAccess} from '../../authorization/access-requirement';
import type {AuthorizedResource} from '../../types/resource-access';
import {SERVER_DESCRIPTOR} from './server.descriptor';
import {ResourceBindings} from '../../keys';
import {Server} from './server.model';
import {ACCESS_LIST_SCHEMA, AccessEntry, SharingService} from '../../services/access/sharing.service';
import {JupyterHubService} from '../../services/hub/jupyterhub.service';
import {ACCESS_LIST_ANSWER, SERVER_ANSWER} from '../answer-examples';
import {defineSharingController} from '../define-sharing-controller';
import {jsonResponse} from '../json-spec.helpers';

export interface ServerShare {
  url: string;
  templateId: string;
  access: AccessEntry[];
}

/** The sharing routes every shared kind has, and a server's summary of how to reach and share it (`GET /servers/{id}/share`). */
@oas.tags('Servers')
export class ServerSharingController extends defineSharingController(SERVER_DESCRIPTOR) {
  constructor(
    @service(SharingService) sharing: SharingService,
    @service(JupyterHubService) private readonly hub: JupyterHubService,
  ) {
    super(sharing);
  }

  @requireAccess('server', 'read')
  @get('/servers/{id}/share', {operationId: 'getServerShare', summary: 'Get how to reach and share a server', ...jsonResponse('How to reach and share the server', {
      title: 'ServerShare',
      type: 'object',
      required: ['url', 'templateId', 'access'],
      properties: {
        url: {type: 'string', description: 'The server on the hub'},
        templateId: {type: 'string', description: 'The template others may launch their own server from'},
        access: ACCESS_LIST_SCHEMA,
      },
    }, {url: SERVER_ANSWER.url, templateId: SERVER_ANSWER.templateId, access: ACCESS_LIST_ANSWER})})
  async shareDetails(
    @param.path.string('id') id: string,
    @inject(ResourceBindings.AUTHORIZED) server: AuthorizedResource<Server>,
  ): Promise<ServerShare> {
    const {hubUser, name, templateId} = server.record;
    return {url: this.hub.serverUrl(hubUser, name), templateId, access: await this.sharing.accessList('server', server.subject, 'user')};
  }
}
