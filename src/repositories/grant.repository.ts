import {inject} from '@loopback/core';
import {DbDataSource} from '../datasources/db.datasource';
import {PlainCrudRepository} from './plain-crud.repository';
import {Grant} from '../models/grant.model';

export class GrantRepository extends PlainCrudRepository<
  Grant,
  typeof Grant.prototype._id
> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(Grant, dataSource);
  }
}
