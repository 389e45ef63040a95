import {inject} from '@loopback/core';
import {DefaultCrudRepository} from '@loopback/repository';
import {DbDataSource} from '../datasources/db.datasource';
import {Template} from '../models/template.model';

export class TemplateRepository extends DefaultCrudRepository<
  Template,
  typeof Template.prototype._id
> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(Template, dataSource);
  }
}
