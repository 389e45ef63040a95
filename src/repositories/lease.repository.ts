import {inject} from '@loopback/core';
import {DbDataSource} from '../datasources/db.datasource';
import {Lease} from '../models/lease.model';
import {PlainCrudRepository} from './plain-crud.repository';

export class LeaseRepository extends PlainCrudRepository<Lease, typeof Lease.prototype._id> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(Lease, dataSource);
  }
}
