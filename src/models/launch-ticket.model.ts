import {Entity, model, property} from '@loopback/repository';

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
      // MongoDB drops expired tickets by itself; the embedded store when the next one is minted.
      expiry: {keys: {expiresAt: 1}, options: {expireAfterSeconds: 0}},
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
