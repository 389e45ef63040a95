import {inject} from '@loopback/core';
import {DbDataSource} from '../../datasources/db.datasource';
import {PlainCrudRepository} from '../../repositories/plain-crud.repository';
import {Server} from './server.model';

export class ServerRepository extends PlainCrudRepository<
  Server,
  typeof Server.prototype._id
> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(Server, dataSource);
  }
}
