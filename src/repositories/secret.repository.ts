import {inject} from '@loopback/core';
import {DefaultCrudRepository} from '@loopback/repository';
import {DbDataSource} from '../datasources/db.datasource';
import {Secret} from '../models/secret.model';

export class SecretRepository extends DefaultCrudRepository<
  Secret,
  typeof Secret.prototype._id
> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(Secret, dataSource);
  }
}
