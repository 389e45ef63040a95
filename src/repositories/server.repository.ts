import {inject} from '@loopback/core';
import {DefaultCrudRepository} from '@loopback/repository';
import {DbDataSource} from '../datasources/db.datasource';
import {Server} from '../models/server.model';

export class ServerRepository extends DefaultCrudRepository<
  Server,
  typeof Server.prototype._id
> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(Server, dataSource);
  }
}
