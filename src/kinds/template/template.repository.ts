import {inject} from '@loopback/core';
import {DbDataSource} from '../../datasources/db.datasource';
import {PlainCrudRepository} from '../../repositories/plain-crud.repository';
import {Template} from './template.model';

export class TemplateRepository extends PlainCrudRepository<
  Template,
  typeof Template.prototype._id
> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(Template, dataSource);
  }
}
