import {Entity, model, property} from '@loopback/repository';

export const SERVER_STATUSES = ['stopped', 'starting', 'running', 'stopping'] as const;
export type ServerStatus = (typeof SERVER_STATUSES)[number];
/** Why the API stopped a server by itself: idle past its timeout, or alive past its lifetime. */
export const STOPPED_REASONS = ['idle', 'lifetime'] as const;
export type StoppedReason = (typeof STOPPED_REASONS)[number];

/** A JupyterHub named server of its owner, launched from a template. */
@model({
  settings: {
    strict: true,
    strictObjectIDCoercion: true,
    // The name is the JupyterHub named server's: one per owner's hub account.
    indexes: {
      byStatus: {keys: {status: 1}},
      uniqueName: {keys: {owner: 1, name: 1}, options: {unique: true}},
      // The list's: servers of an owner (also their other lookups by owner), and all, in its order (oldest first, then id).
      listByOwner: {keys: {owner: 1, createdAt: 1, _id: 1}},
      listAll: {keys: {createdAt: 1, _id: 1}},
    },
  },
})
export class Server extends Entity {
  @property({type: 'string', id: true, defaultFn: 'uuidv4'})
  _id?: string;

  @property({type: 'string', required: true, description: 'The JupyterHub named-server name, unique per owner'})
  name: string;

  @property({type: 'string', required: true, description: 'Email of the owner, in whose hub account it runs'})
  owner: string;

  @property({type: 'string', required: true, description: 'The owner\'s JupyterHub user name'})
  hubUser: string;

  @property({type: 'string', required: true})
  templateId: string;

  @property({type: 'string', required: true, jsonSchema: {enum: [...SERVER_STATUSES]}})
  status: ServerStatus;

  @property({type: 'string', description: 'Why the last start failed, as the hub said it; null once it starts again', jsonSchema: {nullable: true}})
  lastError?: string;

  @property({type: 'string', description: 'Where the running server opens'})
  url?: string;

  @property({
    type: 'boolean',
    description:
      "false when the hub running this server could not enforce its hardware's memory and CPU limits; null until the spawner of its latest start says",
    jsonSchema: {nullable: true},
  })
  limitsEnforced?: boolean;

  @property({type: 'date'})
  createdAt?: Date;

  @property({type: 'date', description: 'When the API last asked the hub to start it: its lifetime counts from here'})
  startedAt?: Date;

  @property({
    type: 'string',
    description:
      'Why the API stopped it by itself: idle (no activity past its template\'s idle timeout) or lifetime (running past its maximum lifetime); ' +
      'null when it was not, and once it starts again',
    jsonSchema: {enum: [...STOPPED_REASONS, null], nullable: true},
  })
  stoppedReason?: StoppedReason | null;

  @property({type: 'date', description: 'When the API stopped it for stoppedReason; null with it', jsonSchema: {nullable: true}})
  stoppedAt?: Date | null;

  @property({type: 'date', description: 'When the status last changed'})
  statusChangedAt?: Date;

  constructor(data?: Partial<Server>) {
    super(data);
  }
}
