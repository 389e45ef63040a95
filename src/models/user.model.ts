import {Entity, model, property} from '@loopback/repository';

/** A person who has signed in at least once, as their identity provider described them. */
@model({
  settings: {
    strict: true,
    strictObjectIDCoercion: true,
    indexes: {uniqueEmail: {keys: {email: 1}, options: {unique: true}}},
  },
})
export class User extends Entity {
  @property({type: 'string', id: true, defaultFn: 'uuidv4'})
  _id?: string;

  @property({type: 'string', required: true})
  email: string;

  @property({
    type: 'string',
    required: true,
    description: 'The JupyterHub user name derived from the email',
  })
  username: string;

  @property({type: 'string'})
  name?: string;

  @property({type: 'string', required: true})
  organisation: string;

  @property({type: 'date', required: true})
  firstSeen: Date;

  @property({type: 'date', required: true})
  lastSeen: Date;

  @property({type: 'string', description: 'The template of the server they last started: where their files open when nothing runs'})
  lastTemplateId?: string;

  constructor(data?: Partial<User>) {
    super(data);
  }
}
