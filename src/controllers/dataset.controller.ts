import {BindingScope, inject, injectable, service} from '@loopback/core';
import {del, get, getModelSchemaRef, param, patch, post, Request, requestBody, RestBindings} from '@loopback/rest';
import type {AuthorizedResource} from '../authorization/authorized-resource';
import {ResourceBindings} from '../keys';
import {SecurityBindings} from '@loopback/security';
import {requireAccess} from '../authorization/access-requirement';
import {Dataset} from '../models/dataset.model';
import {DatasetInput, DatasetService} from '../services/files/dataset.service';
import type {Caller} from '../services/identity/identity.service';
import type {Plain} from '../models/plain';
import {Envelope, listResponse, pageParam, PaginationService} from '../services/pagination.service';
import {jsonBody, jsonResponse} from './json-spec.helpers';

const DATASET = getModelSchemaRef(Dataset, {exclude: ['deletedAt']});
const NEW_DATASET = getModelSchemaRef(Dataset, {title: 'NewDataset', exclude: ['_id', 'deletedAt']});
const DATASET_PATCH = getModelSchemaRef(Dataset, {
  title: 'DatasetPatch',
  partial: true,
  exclude: ['_id', 'owner', 'deletedAt'],
});

@injectable({scope: BindingScope.SINGLETON})
export class DatasetController {
  constructor(
    @service(DatasetService) private readonly datasets: DatasetService,
    @service(PaginationService) private readonly pages: PaginationService,
  ) {}

  @get('/datasets', listResponse('Datasets the caller may read', DATASET))
  list(
    @inject(SecurityBindings.USER) caller: Caller,
    @inject(RestBindings.Http.REQUEST) request: Request,
    @param.query.string('owner', {description: 'Only datasets of this owner (email)'}) owner?: string,
    @param.query.string('name') name?: string,
    @pageParam.offset() offset?: number,
    @pageParam.limit() limit?: number,
  ): Promise<Array<Plain<Dataset>> | Envelope<Plain<Dataset>>> {
    return this.pages.answer({offset, limit}, request, page => this.datasets.list(caller, {owner, name}, page));
  }

  @post('/datasets', {
    description: 'Creates the dataset and its empty folder under DATASETS_ROOT, named by its id.',
    ...jsonResponse('The new dataset', DATASET),
  })
  create(@inject(SecurityBindings.USER) caller: Caller, @requestBody(jsonBody(NEW_DATASET)) body: DatasetInput): Promise<Dataset> {
    return this.datasets.create(caller, body);
  }

  @requireAccess('dataset', 'read')
  @get('/datasets/{id}', jsonResponse('The dataset', DATASET))
  findById(@param.path.string('id') id: string, @inject(ResourceBindings.AUTHORIZED) dataset: AuthorizedResource<Dataset>): Plain<Dataset> {
    return dataset.record;
  }

  @requireAccess('dataset', 'write')
  @patch('/datasets/{id}', jsonResponse('The updated dataset (a rename changes metadata only)', DATASET))
  update(
    @inject(SecurityBindings.USER) caller: Caller,
    @param.path.string('id') id: string,
    @requestBody(jsonBody(DATASET_PATCH)) body: Partial<DatasetInput>,
    @inject(ResourceBindings.AUTHORIZED) dataset: AuthorizedResource<Dataset>,
  ): Promise<Dataset> {
    return this.datasets.update(caller, dataset, body);
  }

  @requireAccess('dataset', 'owner')
  @del('/datasets/{id}', {
    description: `Moves the dataset's folder to the trash; an admin can restore it until it is purged (TRASH_RETENTION_DAYS).`,
    responses: {'204': {description: 'In the trash'}},
  })
  async remove(@param.path.string('id') id: string): Promise<void> {
    await this.datasets.remove(id);
  }
}
