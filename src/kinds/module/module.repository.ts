import {inject} from '@loopback/core';
import {DbDataSource} from '../../datasources/db.datasource';
import {PlainCrudRepository} from '../../repositories/plain-crud.repository';
import {Module} from './module.model';

export class ModuleRepository extends PlainCrudRepository<
  Module,
  typeof Module.prototype._id
> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(Module, dataSource);
  }
}
