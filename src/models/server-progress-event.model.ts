import {Model, model, property} from '@loopback/repository';

/** One event of GET /servers/{id}/progress: the `data:` of a server-sent event, as JSON. */
@model({settings: {strict: true}})
export class ServerProgressEvent extends Model {
  @property({type: 'number', required: true, description: 'Percent done, 0 to 100', jsonSchema: {minimum: 0, maximum: 100}})
  progress: number;

  @property({type: 'string', required: true, description: 'What the hub is doing, or why the start failed'})
  message: string;

  @property({type: 'boolean', description: 'Present (true) on the last event of a start that succeeded', jsonSchema: {enum: [true]}})
  ready?: true;

  @property({type: 'string', description: 'With ready: where the running server opens'})
  url?: string;

  @property({type: 'boolean', description: 'Present (true) on the last event of a start that failed', jsonSchema: {enum: [true]}})
  failed?: true;

  @property({
    type: 'boolean',
    description:
      'Present (true) on the last event when the API stops before the start ends: the start goes on; open the stream again (an SSE `retry:` comes with it)',
    jsonSchema: {enum: [true]},
  })
  reconnect?: true;
}
