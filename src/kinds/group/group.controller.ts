import {BindingScope, inject, injectable, service} from '@loopback/core';
import {del, get, getModelSchemaRef, oas, param, patch, post, Request, requestBody, RestBindings} from '@loopback/rest';
import type {AuthorizedResource} from '../../types/resource-access';
import {ResourceBindings} from '../../keys';
import {SecurityBindings} from '@loopback/security';
import {requireAccess} from '../../authorization/access-requirement';
import {Group} from '../../models/group.model';
import {GroupService} from './group.service';
import type {Caller} from '../../services/identity/identity.service';
import type {Plain} from '../../models/plain';
import {Envelope, listResponse, pageParam, PaginationService} from '../../services/pagination.service';
import {GROUP_ANSWER} from '../answer-examples';
import {jsonAnswer, jsonBody, jsonResponse, sharedResponse} from '../json-spec.helpers';

// nameKey is the store's, for the unique index: never in answers or bodies.
const GROUP = getModelSchemaRef(Group, {title: 'Group', exclude: ['nameKey']});
const NAME_ONLY = getModelSchemaRef(Group, {partial: false, exclude: ['_id', 'owner', 'members', 'createdAt', 'nameKey'], title: 'GroupName'});
/** What the member routes answer: one component, one type in generated clients. */
const MEMBERS = {
  responses: {
    '200': sharedResponse('GroupMembers', jsonAnswer('The group\'s members (emails), as they are now', {type: 'array', items: {type: 'string', format: 'email'}}, GROUP_ANSWER.members)),
  },
};

@oas.tags('Groups')
@injectable({scope: BindingScope.SINGLETON})
export class GroupController {
  constructor(
    @service(GroupService) private readonly groups: GroupService,
    @service(PaginationService) private readonly pages: PaginationService,
  ) {}

  @get('/groups', {operationId: 'listGroups', summary: 'List the groups you own or belong to', ...listResponse('/groups', 'Groups the caller owns or belongs to (every group for admins)', GROUP, GROUP_ANSWER)})
  list(
    @inject(SecurityBindings.USER) caller: Caller,
    @inject(RestBindings.Http.REQUEST) request: Request,
    @param.query.string('owner', {description: 'Only groups of this owner (email)'}) owner?: string,
    @param.query.string('name') name?: string,
    @pageParam.offset() offset?: number,
    @pageParam.limit() limit?: number,
    @pageParam.after() after?: string,
  ): Promise<Array<Plain<Group>> | Envelope<Plain<Group>>> {
    return this.pages.answer({offset, limit, after}, request, page => this.groups.list(caller, {owner, name}, page));
  }

  @post('/groups', {operationId: 'createGroup', summary: 'Create a group', ...jsonResponse('The new group; its owner is its first member', GROUP, GROUP_ANSWER)})
  create(@inject(SecurityBindings.USER) caller: Caller, @requestBody(jsonBody(NAME_ONLY, {name: 'Imaging team'})) body: Pick<Group, 'name'>): Promise<Group> {
    return this.groups.create(caller, body.name);
  }

  @requireAccess('group', 'read')
  @get('/groups/{id}', {operationId: 'getGroup', summary: 'Get a group', ...jsonResponse('The group', GROUP, GROUP_ANSWER)})
  findById(@param.path.string('id') id: string, @inject(ResourceBindings.AUTHORIZED) group: AuthorizedResource<Group>): Plain<Group> {
    return group.record;
  }

  @requireAccess('group', 'owner')
  @patch('/groups/{id}', {operationId: 'renameGroup', summary: 'Rename a group', ...jsonResponse('The renamed group', GROUP, GROUP_ANSWER)})
  rename(
    @param.path.string('id') id: string,
    @requestBody(jsonBody(NAME_ONLY, {name: 'Imaging and analysis team'})) body: Pick<Group, 'name'>,
  ): Promise<Group> {
    return this.groups.rename(id, body.name);
  }

  @requireAccess('group', 'owner')
  @del('/groups/{id}', {operationId: 'deleteGroup', summary: 'Delete a group and every grant to it', responses: {'204': {description: 'Deleted, with every grant to it'}}})
  async remove(@param.path.string('id') id: string): Promise<void> {
    await this.groups.remove(id);
  }

  @requireAccess('group', 'read')
  @get('/groups/{id}/members', {operationId: 'listGroupMembers', summary: 'List a group\'s members', ...MEMBERS})
  members(@param.path.string('id') id: string, @inject(ResourceBindings.AUTHORIZED) group: AuthorizedResource<Group>): readonly string[] {
    return group.record.members;
  }

  @requireAccess('group', 'owner')
  @post('/groups/{id}/members', {operationId: 'addGroupMember', summary: 'Add a member to a group', description: 'Adding a member twice changes nothing.', ...MEMBERS})
  addMember(
    @param.path.string('id') id: string,
    @param.query.string('memberEmail', {required: true, description: 'Trimmed and lower-cased before use'}) memberEmail: string,
  ): Promise<string[]> {
    return this.groups.addMember(id, memberEmail);
  }

  @requireAccess('group', 'owner')
  @del('/groups/{id}/members/{memberEmail}', {operationId: 'removeGroupMember', summary: 'Remove a member from a group', ...MEMBERS})
  removeMember(
    @param.path.string('id') id: string,
    @param.path.string('memberEmail') memberEmail: string,
  ): Promise<string[]> {
    return this.groups.removeMember(id, memberEmail);
  }
}
