import {BindingScope, inject, injectable, service} from '@loopback/core';
import {del, get, getModelSchemaRef, param, patch, post, Request, requestBody, RestBindings} from '@loopback/rest';
import type {AuthorizedResource} from '../authorization/authorized-resource';
import {ResourceBindings} from '../keys';
import {SecurityBindings} from '@loopback/security';
import {requireAccess} from '../authorization/access-requirement';
import {Module} from '../models/module.model';
import type {Caller} from '../services/identity/identity.service';
import {ModuleInput, ModuleService} from '../services/files/module.service';
import type {Plain} from '../models/plain';
import {Envelope, listResponse, pageParam, PaginationService} from '../services/pagination.service';
import {jsonBody, jsonResponse} from './json-spec.helpers';

const MODULE = getModelSchemaRef(Module, {exclude: ['deletedAt']});
const NEW_MODULE = getModelSchemaRef(Module, {title: 'NewModule', exclude: ['_id', 'deletedAt']});
const MODULE_PATCH = getModelSchemaRef(Module, {
  title: 'ModulePatch',
  partial: true,
  exclude: ['_id', 'owner', 'deletedAt'],
});

@injectable({scope: BindingScope.SINGLETON})
export class ModuleController {
  constructor(
    @service(ModuleService) private readonly modules: ModuleService,
    @service(PaginationService) private readonly pages: PaginationService,
  ) {}

  @get('/modules', listResponse('Modules the caller may read, featured ones included', MODULE))
  list(
    @inject(SecurityBindings.USER) caller: Caller,
    @inject(RestBindings.Http.REQUEST) request: Request,
    @param.query.string('owner', {description: 'Only modules of this owner (email)'}) owner?: string,
    @param.query.string('name') name?: string,
    @pageParam.offset() offset?: number,
    @pageParam.limit() limit?: number,
  ): Promise<Array<Plain<Module>> | Envelope<Plain<Module>>> {
    return this.pages.answer({offset, limit}, request, page => this.modules.list(caller, {owner, name}, page));
  }

  @post('/modules', {
    description: 'Creates an empty binaries folder and the Lmod modulefile {owner}/{name}/{version}.lua generated from luaModuleFile. `featured` is for admins.',
    ...jsonResponse('The new module', MODULE),
  })
  create(@inject(SecurityBindings.USER) caller: Caller, @requestBody(jsonBody(NEW_MODULE)) body: ModuleInput): Promise<Module> {
    return this.modules.create(caller, body);
  }

  @requireAccess('module', 'read')
  @get('/modules/{id}', jsonResponse('The module', MODULE))
  findById(@param.path.string('id') id: string, @inject(ResourceBindings.AUTHORIZED) module: AuthorizedResource<Module>): Plain<Module> {
    return module.record;
  }

  @requireAccess('module', 'write')
  @patch('/modules/{id}', jsonResponse('The updated module; its modulefile is regenerated', MODULE))
  update(
    @inject(SecurityBindings.USER) caller: Caller,
    @param.path.string('id') id: string,
    @requestBody(jsonBody(MODULE_PATCH)) body: Partial<ModuleInput>,
    @inject(ResourceBindings.AUTHORIZED) module: AuthorizedResource<Module>,
  ): Promise<Module> {
    return this.modules.update(caller, module, body);
  }

  @requireAccess('module', 'owner')
  @del('/modules/{id}', {
    description: 'Moves the binaries and the modulefile to the trash; an admin can restore them until they are purged.',
    responses: {'204': {description: 'In the trash'}},
  })
  async remove(@param.path.string('id') id: string): Promise<void> {
    await this.modules.remove(id);
  }
}
