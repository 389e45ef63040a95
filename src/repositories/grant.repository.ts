import {inject} from '@loopback/core';
import {DefaultCrudRepository} from '@loopback/repository';
import {DbDataSource} from '../datasources/db.datasource';
import {Grant} from '../models/grant.model';

export class GrantRepository extends DefaultCrudRepository<
  Grant,
  typeof Grant.prototype._id
> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(Grant, dataSource);
  }
}
