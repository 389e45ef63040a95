import {BindingScope, inject, injectable, service} from '@loopback/core';
import {get, oas, param, ParameterObject, post, requestBody} from '@loopback/rest';
import {requireAccess} from '../authorization/access-requirement';
import type {AuthorizedResource} from '../types/resource-access';
import {namesOf, ShareableDescriptor, sharingPathsOf} from '../types/resource-descriptor';
import {ResourceBindings} from '../keys';
import {EntityType} from '../models/grant.model';
import {ACCESS_LIST_SCHEMA, AccessEntry, SHARE_REQUEST_SCHEMA, ShareRequest, SharingService} from '../services/access/sharing.service';
import {ACCESS_LIST_ANSWER} from './answer-examples';
import {jsonAnswer, jsonBody, SHARE_EXAMPLE, sharedResponse} from './json-spec.helpers';

const SHARE_BODY = jsonBody(SHARE_REQUEST_SCHEMA, SHARE_EXAMPLE);
/** The answer of every kind's access list, share and revoke: one component, one type in generated clients. */
const ACCESS_LIST = {responses: {'200': sharedResponse('AccessList', jsonAnswer('Who holds access to the resource, the owner first', ACCESS_LIST_SCHEMA, ACCESS_LIST_ANSWER))}};
const ENTITY_TYPE: Partial<ParameterObject> = {
  schema: {type: 'string', enum: ['user', 'group', 'org'], default: 'user'},
};

/**
 * The sharing routes of one shared kind, at the paths its descriptor names:
 * who holds access (read), share and revoke (owner). Each kind's sharing
 * controller is this class, so every kind shares the same way.
 */
export function defineSharingController(descriptor: ShareableDescriptor) {
  const {kind} = descriptor;
  const paths = sharingPathsOf(descriptor);
  const {tag, singular} = namesOf(descriptor);

  @oas.tags(tag)
  @injectable({scope: BindingScope.SINGLETON})
  class SharingController {
    constructor(@service(SharingService) public readonly sharing: SharingService) {}

    @requireAccess(kind, 'read')
    @get(paths.access, {operationId: `list${singular}Access`, summary: `List who holds access to a ${kind}`, ...ACCESS_LIST})
    access(
      @param.path.string('id') id: string,
      @param.query.string('type', ENTITY_TYPE) type: EntityType | undefined,
      @inject(ResourceBindings.AUTHORIZED) resource: AuthorizedResource,
    ): Promise<AccessEntry[]> {
      return this.sharing.accessList(kind, resource.subject, type ?? 'user');
    }

    @requireAccess(kind, 'owner')
    @post(paths.share, {operationId: `share${singular}`, summary: `Share a ${kind} with users, groups or organisations`, ...ACCESS_LIST})
    async share(
      @param.path.string('id') id: string,
      @requestBody(SHARE_BODY) body: ShareRequest,
      @inject(ResourceBindings.AUTHORIZED) resource: AuthorizedResource,
    ): Promise<AccessEntry[]> {
      await this.sharing.share(kind, id, body);
      return this.sharing.everyone(kind, resource.subject);
    }

    @requireAccess(kind, 'owner')
    @post(paths.revoke, {operationId: `revoke${singular}Access`, summary: `Revoke access to a ${kind}`, ...ACCESS_LIST})
    async revoke(
      @param.path.string('id') id: string,
      @requestBody(SHARE_BODY) body: ShareRequest,
      @inject(ResourceBindings.AUTHORIZED) resource: AuthorizedResource,
    ): Promise<AccessEntry[]> {
      await this.sharing.revoke(kind, id, body);
      return this.sharing.everyone(kind, resource.subject);
    }
  }
  return SharingController;
}
