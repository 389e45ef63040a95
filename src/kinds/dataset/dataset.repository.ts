import {inject} from '@loopback/core';
import {DbDataSource} from '../../datasources/db.datasource';
import {PlainCrudRepository} from '../../repositories/plain-crud.repository';
import {Dataset} from './dataset.model';

export class DatasetRepository extends PlainCrudRepository<
  Dataset,
  typeof Dataset.prototype._id
> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(Dataset, dataSource);
  }
}
