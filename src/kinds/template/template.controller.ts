import {BindingScope, inject, injectable, service} from '@loopback/core';
import {del, get, getJsonSchema, getModelSchemaRef, oas, param, patch, post, Request, requestBody, RestBindings, SchemaObject} from '@loopback/rest';
import type {AuthorizedResource} from '../../types/resource-access';
import {ResourceBindings} from '../../keys';
import {SecurityBindings} from '@loopback/security';
import {requireAccess} from '../../authorization/access-requirement';
import {Template, TEMPLATE_TYPES} from './template.model';
import type {Caller} from '../../services/identity/identity.service';
import {Envelope, listResponse, pageParam, PaginationService} from '../../services/pagination.service';
import {TemplateInput, TemplateService} from './template.service';
import {HIDDEN_REFERENCES_SCHEMA, TemplateView, TemplateViewService} from './template-view.service';
import {errorResponseRef} from '../../enhancers/error-responses.spec-enhancer';
import {TEMPLATE_ANSWER} from '../answer-examples';
import {jsonBody, jsonResponse, TEMPLATE_EXAMPLE} from '../json-spec.helpers';

const STORED = getJsonSchema(Template, {exclude: ['implicit']}) as SchemaObject;
/** The stored template with what its viewer is not shown counted beside it: one closed object, as the answer is. */
const TEMPLATE: SchemaObject = {
  ...STORED,
  title: 'Template',
  description: 'A template as answered to one viewer: datasets, modules and secrets list only the ids that viewer may read (see hiddenReferences)',
  properties: {...STORED.properties, hiddenReferences: HIDDEN_REFERENCES_SCHEMA},
};
/** creator, timestamp and serverName may be sent (a client echoing a template) but are ignored. */
const TEMPLATE_BODY = getModelSchemaRef(Template, {title: 'NewTemplate', exclude: ['_id', 'implicit']});
const TEMPLATE_PATCH = getModelSchemaRef(Template, {title: 'TemplatePatch', partial: true, exclude: ['_id', 'implicit']});
const TYPE_FILTER = param.query.string('type', {schema: {type: 'string', enum: [...TEMPLATE_TYPES]}});
const EMAIL_FILTER = param.query.string('email', {description: 'Only templates created by this email'});

@oas.tags('Templates')
@injectable({scope: BindingScope.SINGLETON})
export class TemplateController {
  constructor(
    @service(TemplateService) private readonly templates: TemplateService,
    @service(PaginationService) private readonly pages: PaginationService,
    @service(TemplateViewService) private readonly views: TemplateViewService,
  ) {}

  @get('/templates', {operationId: 'listTemplates', summary: 'List the templates you may read', ...listResponse('/templates', 'Templates the caller may read: public, own and shared ones, newest first', TEMPLATE, TEMPLATE_ANSWER)})
  list(
    @inject(SecurityBindings.USER) caller: Caller,
    @inject(RestBindings.Http.REQUEST) request: Request,
    @TYPE_FILTER type?: string,
    @EMAIL_FILTER email?: string,
    @pageParam.offset() offset?: number,
    @pageParam.limit() limit?: number,
    @pageParam.after() after?: string,
  ): Promise<TemplateView[] | Envelope<TemplateView>> {
    return this.pages.answer({offset, limit, after}, request, page => this.templates.list(caller, {type, email}, page));
  }

  @get('/templates/tags', {operationId: 'listTemplateTags', summary: 'List the tags of readable templates with their counts', ...jsonResponse('Tags of the readable templates with their counts, most used first', {
      type: 'array',
      items: {title: 'TemplateTag', type: 'object', required: ['tag', 'count'], properties: {tag: {type: 'string'}, count: {type: 'integer'}}},
    }, [{tag: 'python', count: 12}, {tag: 'imaging', count: 3}])})
  tags(@inject(SecurityBindings.USER) caller: Caller, @TYPE_FILTER type?: string, @EMAIL_FILTER email?: string): Promise<Array<{tag: string; count: number}>> {
    return this.templates.tags(caller, {type, email});
  }

  @requireAccess('template', 'read')
  @get('/templates/{id}', {operationId: 'getTemplate', summary: 'Get a template', ...jsonResponse('The template (addition)', TEMPLATE, TEMPLATE_ANSWER)})
  findById(
    @inject(SecurityBindings.USER) caller: Caller,
    @param.path.string('id') id: string,
    @inject(ResourceBindings.AUTHORIZED) template: AuthorizedResource<Template>,
  ): Promise<TemplateView> {
    return this.views.forViewer(caller, template.record);
  }

  @post('/template', {operationId: 'createTemplate', summary: 'Create a template', description: 'Datasets, modules and secrets must exist and be readable by the caller; hardware must be one of GET /volume/hardware and applicationType one of GET /volume/applications; filePath is relative to the home folder; only admins create featured templates.',
    ...jsonResponse('The new template', TEMPLATE, TEMPLATE_ANSWER),
  })
  async create(@inject(SecurityBindings.USER) caller: Caller, @requestBody(jsonBody(TEMPLATE_BODY, TEMPLATE_EXAMPLE)) body: TemplateInput): Promise<TemplateView> {
    return this.views.forViewer(caller, await this.templates.create(caller, body));
  }

  @requireAccess('template', 'write', {in: 'query', name: 'templateId'})
  @patch('/template', {operationId: 'updateTemplate', summary: 'Change a template', ...jsonResponse('The updated template', TEMPLATE, {...TEMPLATE_ANSWER, description: 'JupyterLab with the lab\'s Python stack and R'})})
  async update(
    @inject(SecurityBindings.USER) caller: Caller,
    @param.query.string('templateId', {required: true}) templateId: string,
    @requestBody(jsonBody(TEMPLATE_PATCH, {description: 'JupyterLab with the lab\'s Python stack and R'})) body: Partial<TemplateInput>,
    @inject(ResourceBindings.AUTHORIZED) template: AuthorizedResource<Template>,
  ): Promise<TemplateView> {
    return this.views.forViewer(caller, await this.templates.update(caller, template, body));
  }

  @requireAccess('template', 'owner', {in: 'query', name: 'id'})
  @del('/template', {operationId: 'deleteTemplate', summary: 'Delete a template no server uses', description: 'A template servers still use is not deleted: 409.', responses: {'204': {description: 'Deleted'}, '409': errorResponseRef(409)}})
  async remove(@param.query.string('id', {required: true}) id: string): Promise<void> {
    await this.templates.remove(id);
  }
}
