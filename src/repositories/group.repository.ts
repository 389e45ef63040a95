import {inject} from '@loopback/core';
import {DbDataSource} from '../datasources/db.datasource';
import {PlainCrudRepository} from './plain-crud.repository';
import {Group} from '../models/group.model';

export class GroupRepository extends PlainCrudRepository<
  Group,
  typeof Group.prototype._id
> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(Group, dataSource);
  }
}
