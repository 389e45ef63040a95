import {inject} from '@loopback/core';
import {DbDataSource} from '../datasources/db.datasource';
import {PlainCrudRepository} from './plain-crud.repository';
import {User} from '../models/user.model';

export class UserRepository extends PlainCrudRepository<
  User,
  typeof User.prototype._id
> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(User, dataSource);
  }
}
