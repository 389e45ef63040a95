import {inject} from '@loopback/core';
import {DbDataSource} from '../datasources/db.datasource';
import {LaunchTicket} from '../models/launch-ticket.model';
import {PlainCrudRepository} from './plain-crud.repository';

export class LaunchTicketRepository extends PlainCrudRepository<LaunchTicket, typeof LaunchTicket.prototype._id> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(LaunchTicket, dataSource);
  }
}
