import {BindingScope, Constructor, inject, injectable, service} from '@loopback/core';
import {Entity} from '@loopback/repository';
import {del, get, getModelSchemaRef, oas, param, patch, post, Request, requestBody, RestBindings} from '@loopback/rest';
import {SecurityBindings} from '@loopback/security';
import {requireAccess} from '../authorization/access-requirement';
import type {AuthorizedResource} from '../types/resource-access';
import {namesOf, ResourceDescriptor} from '../types/resource-descriptor';
import {ResourceBindings} from '../keys';
import type {Page, PageOf} from '../models/page';
import type {Plain} from '../models/plain';
import type {Caller} from '../services/identity/identity.service';
import {Envelope, listResponse, pageParam, PaginationService} from '../services/pagination.service';
import {jsonBody, jsonResponse} from './json-spec.helpers';

/** A kind's service of owned resources listed by owner and name, deleted to a trash. */
export interface OwnedResourceService<T extends Entity, Input> {
  list(caller: Caller, filter: {owner?: string; name?: string}, page: Page): Promise<PageOf<Plain<T>>>;
  create(caller: Caller, input: Input): Promise<T>;
  update(caller: Caller, resource: AuthorizedResource<T>, patch: Partial<Input>): Promise<T>;
  remove(id: string): Promise<void>;
}

/** What the routes of a kind say beyond what they do alike. */
export interface OwnedResourceTexts {
  list: string;
  create: string;
  update: string;
  remove: string;
  /** Bodies the explorer offers, which a signed-in user can send as they are, and a resource as answered. */
  examples: {create: object; update: object; answer: object};
}

/**
 * The collection routes of a kind of owned resources (datasets, modules):
 * list (paged, by owner and name), create, read, update and delete to the
 * trash, at the descriptor's base path, with one schema per use named after
 * the model (`NewDataset`, `DatasetPatch`).
 */
export function defineOwnedResourceController<T extends Entity & {_id?: string; owner?: string; deletedAt?: Date}, Input>(
  descriptor: ResourceDescriptor,
  model: typeof Entity & {prototype: T},
  resourceService: Constructor<OwnedResourceService<T, Input>>,
  texts: OwnedResourceTexts,
) {
  const {kind, basePath} = descriptor;
  const {tag, singular} = namesOf(descriptor);
  const item = getModelSchemaRef(model, {title: model.modelName, exclude: ['deletedAt']});
  const created = getModelSchemaRef(model, {title: `New${model.modelName}`, exclude: ['_id', 'deletedAt']});
  const changes = getModelSchemaRef(model, {title: `${model.modelName}Patch`, partial: true, exclude: ['_id', 'owner', 'deletedAt']});

  @oas.tags(tag)
  @injectable({scope: BindingScope.SINGLETON})
  class OwnedResourceController {
    constructor(
      @service(resourceService) public readonly resources: OwnedResourceService<T, Input>,
      @service(PaginationService) public readonly pages: PaginationService,
    ) {}

    @get(basePath, {operationId: `list${tag}`, summary: `List the ${kind}s you may read`, ...listResponse(basePath, texts.list, item, texts.examples.answer)})
    list(
      @inject(SecurityBindings.USER) caller: Caller,
      @inject(RestBindings.Http.REQUEST) request: Request,
      @param.query.string('owner', {description: `Only ${kind}s of this owner (email)`}) owner?: string,
      @param.query.string('name') name?: string,
      @pageParam.offset() offset?: number,
      @pageParam.limit() limit?: number,
      @pageParam.after() after?: string,
    ): Promise<Array<Plain<T>> | Envelope<Plain<T>>> {
      return this.pages.answer({offset, limit, after}, request, page => this.resources.list(caller, {owner, name}, page));
    }

    @post(basePath, {operationId: `create${singular}`, summary: `Create a ${kind}`, description: texts.create, ...jsonResponse(`The new ${kind}`, item, texts.examples.answer)})
    create(@inject(SecurityBindings.USER) caller: Caller, @requestBody(jsonBody(created, texts.examples.create)) body: Input): Promise<T> {
      return this.resources.create(caller, body);
    }

    @requireAccess(kind, 'read')
    @get(`${basePath}/{id}`, {operationId: `get${singular}`, summary: `Get a ${kind}`, ...jsonResponse(`The ${kind}`, item, texts.examples.answer)})
    findById(@param.path.string('id') id: string, @inject(ResourceBindings.AUTHORIZED) resource: AuthorizedResource<T>): Plain<T> {
      return resource.record;
    }

    @requireAccess(kind, 'write')
    @patch(`${basePath}/{id}`, {operationId: `update${singular}`, summary: `Change a ${kind}`, ...jsonResponse(texts.update, item, texts.examples.answer)})
    update(
      @inject(SecurityBindings.USER) caller: Caller,
      @param.path.string('id') id: string,
      @requestBody(jsonBody(changes, texts.examples.update)) body: Partial<Input>,
      @inject(ResourceBindings.AUTHORIZED) resource: AuthorizedResource<T>,
    ): Promise<T> {
      return this.resources.update(caller, resource, body);
    }

    @requireAccess(kind, 'owner')
    @del(`${basePath}/{id}`, {
      operationId: `delete${singular}`,
      summary: `Move a ${kind} to the trash`,
      description: texts.remove,
      responses: {'204': {description: 'In the trash'}},
    })
    async remove(@param.path.string('id') id: string): Promise<void> {
      await this.resources.remove(id);
    }
  }
  return OwnedResourceController;
}
