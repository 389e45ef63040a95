import {inject} from '@loopback/core';
import {DbDataSource} from '../../datasources/db.datasource';
import {PlainCrudRepository} from '../../repositories/plain-crud.repository';
import {Secret} from './secret.model';

export class SecretRepository extends PlainCrudRepository<
  Secret,
  typeof Secret.prototype._id
> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(Secret, dataSource);
  }
}
