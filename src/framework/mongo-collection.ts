import type {juggler} from '@loopback/repository';

/** The part of a MongoDB collection the API uses beyond what the juggler offers. */
export interface MongoCollection {
  createIndex(keys: object, options: object): Promise<string>;
}

/**
 * A collection of the datasource's MongoDB database, through
 * loopback-connector-mongodb's `collection(name)`, which its typings do
 * not declare. Only for a datasource whose connector is `mongodb`.
 */
export function mongoCollection(dataSource: juggler.DataSource, name: string): MongoCollection {
  return (dataSource.connector as unknown as {collection(name: string): MongoCollection}).collection(name);
}
