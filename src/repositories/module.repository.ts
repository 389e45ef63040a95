import {inject} from '@loopback/core';
import {DefaultCrudRepository} from '@loopback/repository';
import {DbDataSource} from '../datasources/db.datasource';
import {Module} from '../models/module.model';

export class ModuleRepository extends DefaultCrudRepository<
  Module,
  typeof Module.prototype._id
> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(Module, dataSource);
  }
}
