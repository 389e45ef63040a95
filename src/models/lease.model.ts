import {Entity, model, property} from '@loopback/repository';

/**
 * A task that one replica at a time may do (reconciling server statuses,
 * purging the trash), held by one API instance until `expiresAt`. A holder
 * that dies simply lets it expire.
 */
@model({settings: {strict: true}})
export class Lease extends Entity {
  /** The task's name. */
  @property({type: 'string', id: true})
  _id: string;

  /** The API instance holding it: host, process and a random part. */
  @property({type: 'string', required: true})
  holder: string;

  @property({type: 'date', required: true})
  expiresAt: Date;

  constructor(data?: Partial<Lease>) {
    super(data);
  }
}
