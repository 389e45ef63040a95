import {inject} from '@loopback/core';
import {DefaultCrudRepository} from '@loopback/repository';
import {DbDataSource} from '../datasources/db.datasource';
import {Group} from '../models/group.model';

export class GroupRepository extends DefaultCrudRepository<
  Group,
  typeof Group.prototype._id
> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(Group, dataSource);
  }
}
