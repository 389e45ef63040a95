import {BindingScope, injectable, service} from '@loopback/core';
import {get, param, ParameterObject, post, requestBody} from '@loopback/rest';
import {requireAccess} from '../authorization/access-requirement';
import {EntityType, ShareableKind} from '../models/grant.model';
import {ResourceLookupService} from '../services/access/resource-lookup.service';
import {
  ACCESS_LIST_SCHEMA,
  AccessEntry,
  SHARE_REQUEST_SCHEMA,
  ShareRequest,
  SharingService,
} from '../services/access/sharing.service';
import {jsonBody, jsonResponse} from './json-spec.helpers';

const SHARE_BODY = jsonBody(SHARE_REQUEST_SCHEMA);
const ACCESS_LIST = (kind: string) =>
  jsonResponse(`Who holds access to the ${kind}, the owner first`, ACCESS_LIST_SCHEMA);
const ENTITY_TYPE: Partial<ParameterObject> = {
  schema: {type: 'string', enum: ['user', 'group', 'org'], default: 'user'},
};

/**
 * The share, revoke and access routes of every shareable kind: the seed's
 * paths for datasets and modules, the same shape for templates and servers
 * (additions). Sharing and revoking need owner; reading the list needs read.
 */
@injectable({scope: BindingScope.SINGLETON})
export class SharingController {
  constructor(
    @service(SharingService) private readonly sharing: SharingService,
    @service(ResourceLookupService) private readonly resources: ResourceLookupService,
  ) {}

  @requireAccess('dataset', 'read')
  @get('/datasets/{id}/access', ACCESS_LIST('dataset'))
  datasetAccess(@param.path.string('id') id: string, @param.query.string('type', ENTITY_TYPE) type?: EntityType) {
    return this.accessList('dataset', id, type);
  }

  @requireAccess('dataset', 'owner')
  @post('/datasets/{id}/share', ACCESS_LIST('dataset'))
  shareDataset(@param.path.string('id') id: string, @requestBody(SHARE_BODY) body: ShareRequest) {
    return this.share('dataset', id, body);
  }

  @requireAccess('dataset', 'owner')
  @post('/datasets/{id}/revoke', ACCESS_LIST('dataset'))
  revokeDataset(@param.path.string('id') id: string, @requestBody(SHARE_BODY) body: ShareRequest) {
    return this.revoke('dataset', id, body);
  }

  @requireAccess('module', 'read')
  @get('/modules/{id}/access', ACCESS_LIST('module'))
  moduleAccess(@param.path.string('id') id: string, @param.query.string('type', ENTITY_TYPE) type?: EntityType) {
    return this.accessList('module', id, type);
  }

  @requireAccess('module', 'owner')
  @post('/modules/{id}/share', ACCESS_LIST('module'))
  shareModule(@param.path.string('id') id: string, @requestBody(SHARE_BODY) body: ShareRequest) {
    return this.share('module', id, body);
  }

  @requireAccess('module', 'owner')
  @post('/modules/{id}/revoke', ACCESS_LIST('module'))
  revokeModule(@param.path.string('id') id: string, @requestBody(SHARE_BODY) body: ShareRequest) {
    return this.revoke('module', id, body);
  }

  @requireAccess('template', 'read')
  @get('/templates/{id}/access', ACCESS_LIST('template'))
  templateAccess(@param.path.string('id') id: string, @param.query.string('type', ENTITY_TYPE) type?: EntityType) {
    return this.accessList('template', id, type);
  }

  @requireAccess('template', 'owner')
  @post('/templates/{id}/share', ACCESS_LIST('template'))
  shareTemplate(@param.path.string('id') id: string, @requestBody(SHARE_BODY) body: ShareRequest) {
    return this.share('template', id, body);
  }

  @requireAccess('template', 'owner')
  @post('/templates/{id}/revoke', ACCESS_LIST('template'))
  revokeTemplate(@param.path.string('id') id: string, @requestBody(SHARE_BODY) body: ShareRequest) {
    return this.revoke('template', id, body);
  }

  @requireAccess('server', 'read')
  @get('/servers/{id}/access', ACCESS_LIST('server'))
  serverAccess(@param.path.string('id') id: string, @param.query.string('type', ENTITY_TYPE) type?: EntityType) {
    return this.accessList('server', id, type);
  }

  @requireAccess('server', 'owner')
  @post('/servers/{id}/share', ACCESS_LIST('server'))
  shareServer(@param.path.string('id') id: string, @requestBody(SHARE_BODY) body: ShareRequest) {
    return this.share('server', id, body);
  }

  @requireAccess('server', 'owner')
  @post('/servers/{id}/revoke', ACCESS_LIST('server'))
  revokeServer(@param.path.string('id') id: string, @requestBody(SHARE_BODY) body: ShareRequest) {
    return this.revoke('server', id, body);
  }

  private async accessList(kind: ShareableKind, id: string, type: EntityType = 'user'): Promise<AccessEntry[]> {
    const resource = await this.resources.find(kind, id);
    return this.sharing.accessList(kind, resource!, type);
  }

  private async share(kind: ShareableKind, id: string, body: ShareRequest): Promise<AccessEntry[]> {
    await this.sharing.share(kind, id, body);
    return this.everyone(kind, id);
  }

  private async revoke(kind: ShareableKind, id: string, body: ShareRequest): Promise<AccessEntry[]> {
    await this.sharing.revoke(kind, id, body);
    return this.everyone(kind, id);
  }

  private async everyone(kind: ShareableKind, id: string): Promise<AccessEntry[]> {
    return this.sharing.everyone(kind, (await this.resources.find(kind, id))!);
  }
}
