import {inject} from '@loopback/core';
import {DbDataSource} from '../datasources/db.datasource';
import {PlainCrudRepository} from './plain-crud.repository';
import {Server} from '../models/server.model';

export class ServerRepository extends PlainCrudRepository<
  Server,
  typeof Server.prototype._id
> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(Server, dataSource);
  }
}
