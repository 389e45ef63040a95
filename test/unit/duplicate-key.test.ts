import {juggler} from '@loopback/repository';
import {expect} from '@loopback/testlab';
import {MongoServerError} from 'mongodb';
import {DbDataSource} from '../../src/datasources/db.datasource';
import {ModuleRepository} from '../../src/kinds/module/module.repository';
import {conflictFromDuplicateKey} from '../../src/utils/duplicate-key.util';

/** A duplicate key error as the MongoDB driver throws it for a write that breaks the modules' unique index. */
function mongoDuplicate(withKeyValue: boolean): MongoServerError {
  const keyValue = {owner: 'ann@lab.org', name: 'tool', version: '1.0', deletedAt: null};
  return new MongoServerError({
    message:
      'E11000 duplicate key error collection: notebooks_hub.Module index: uniqueLiveModule dup key: ' +
      '{ owner: "ann@lab.org", name: "tool", version: "1.0", deletedAt: null }',
    code: 11000,
    ...(withKeyValue ? {keyPattern: {owner: 1, name: 1, version: 1, deletedAt: 1}, keyValue} : {}),
  });
}

describe('A duplicate key error maps to 409', () => {
  it('names the kind and the key values of a MongoDB E11000 error, leaving out null ones', () => {
    const conflict = conflictFromDuplicateKey(mongoDuplicate(true), 'Module') as {statusCode: number; message: string};
    expect(conflict.statusCode).to.equal(409);
    expect(conflict.message).to.equal('Module already exists with owner "ann@lab.org", name "tool" and version "1.0"');
  });

  it('names the fields of the index the message names when the error carries no key values', () => {
    const indexes = {uniqueLiveModule: {keys: {owner: 1, name: 1, version: 1, deletedAt: 1}, options: {unique: true}}};
    const conflict = conflictFromDuplicateKey(mongoDuplicate(false), 'Module', indexes) as {statusCode: number; message: string};
    expect(conflict.statusCode).to.equal(409);
    expect(conflict.message).to.equal('Module already exists with the same owner, name, version and deleted at');
  });

  it('answers any other error as it is', () => {
    const other = new MongoServerError({message: 'not primary', code: 10107});
    expect(conflictFromDuplicateKey(other, 'Module')).to.equal(other);
  });

  it('is what every repository answers when the store refuses a write with E11000', async () => {
    const dataSource = new juggler.DataSource({name: 'db', connector: 'memory'});
    const modules = new ModuleRepository(dataSource as unknown as DbDataSource);
    // The write reaches the connector, which answers as loopback-connector-mongodb passes the driver's error on.
    Object.assign(dataSource.connector!, {
      create: (_model: string, _data: object, _options: object, callback: (err: Error) => void) =>
        process.nextTick(() => callback(mongoDuplicate(true))),
    });
    await expect(modules.create({owner: 'ann@lab.org', name: 'tool', version: '1.0'})).to.be.rejectedWith({
      statusCode: 409,
      message: 'Module already exists with owner "ann@lab.org", name "tool" and version "1.0"',
    });
  });
});
