import {inject} from '@loopback/core';
import {DefaultCrudRepository} from '@loopback/repository';
import {DbDataSource} from '../datasources/db.datasource';
import {Dataset} from '../models/dataset.model';

export class DatasetRepository extends DefaultCrudRepository<
  Dataset,
  typeof Dataset.prototype._id
> {
  constructor(@inject('datasources.db') dataSource: DbDataSource) {
    super(Dataset, dataSource);
  }
}
