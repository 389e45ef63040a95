import {Entity, model, property} from '@loopback/repository';

/**
 * MongoDB drops expired tickets by itself through this TTL index; expired
 * ones are also removed when the next ticket is minted, which is all the
 * embedded store does. Created apart from the model's indexes (see
 * DatabaseSchemaObserver) since not every MongoDB-protocol server has TTL indexes.
 */
export const LAUNCH_TICKET_EXPIRY_INDEX = {keys: {expiresAt: 1}, options: {name: 'expiry', expireAfterSeconds: 0}} as const;

/**
 * The right to one start of one named server, given to the hub's spawner
 * through the server's user_options and redeemed once for the launch plan.
 * Only the ticket's SHA-256 is stored: the database alone cannot redeem it.
 */
@model({
  settings: {
    strict: true,
    strictObjectIDCoercion: true,
    indexes: {
      uniqueHash: {keys: {hash: 1}, options: {unique: true}},
      byServer: {keys: {serverId: 1}},
    },
  },
})
export class LaunchTicket extends Entity {
  @property({type: 'string', id: true, defaultFn: 'uuidv4'})
  _id?: string;

  /** Hex SHA-256 of the ticket as the spawner presents it. */
  @property({type: 'string', required: true})
  hash: string;

  @property({type: 'string', required: true})
  serverId: string;

  @property({type: 'string', required: true})
  hubUser: string;

  @property({type: 'string', required: true})
  serverName: string;

  @property({type: 'date', required: true})
  expiresAt: Date;

  @property({type: 'date', required: true})
  createdAt: Date;

  constructor(data?: Partial<LaunchTicket>) {
    super(data);
  }
}
