import {Entity, model, property} from '@loopback/repository';
import {
  APPLICATION_MAX_LENGTH,
  APPLICATION_PATTERN,
  DESCRIPTION_MAX_LENGTH,
  IDLE_MINUTES_LIMIT,
  LIFETIME_HOURS_LIMIT,
  SMALLEST_LIMIT,
  NAME_PATTERN,
  RELATIVE_PATH_MAX_LENGTH,
} from '../../validation';

export const TEMPLATE_TYPES = ['featured', 'quick-launch', 'custom'] as const;
export type TemplateType = (typeof TEMPLATE_TYPES)[number];

/**
 * String arrays are typed `any` with their whole schema in `jsonSchema`:
 * with an itemType (@property.array) LoopBack puts `jsonSchema` on each item,
 * where maxItems limits nothing, and the juggler refuses an array without one.
 */
const ID_LIST = {type: 'array' as const, maxItems: 100, items: {type: 'string' as const, minLength: 1, maxLength: 64}};

/** The saved settings of a server; servers are launched from it. */
@model({
  settings: {
    strict: true,
    strictObjectIDCoercion: true,
    hiddenProperties: ['implicit'],
    // Its servers' names start with serverName: two templates of one creator sharing it would share server names.
    indexes: {
      uniqueServerName: {keys: {creator: 1, serverName: 1}, options: {unique: true}},
      // The list's: templates of a creator, public ones, and all, in its order (newest first, then id).
      listByCreator: {keys: {creator: 1, timestamp: -1, _id: 1}},
      listPublic: {keys: {public: 1, timestamp: -1, _id: 1}},
      listAll: {keys: {timestamp: -1, _id: 1}},
    },
  },
})
export class Template extends Entity {
  @property({type: 'string', id: true, defaultFn: 'uuidv4'})
  _id?: string;

  @property({type: 'string', required: true, jsonSchema: {pattern: NAME_PATTERN}})
  name: string;

  @property({type: 'string', required: true, jsonSchema: {maxLength: DESCRIPTION_MAX_LENGTH}})
  description: string;

  @property({
    type: 'string',
    required: true,
    description: 'The application the server runs: one the hub offers (GET /volume/applications), matched whatever the case and saved as the hub spells it',
    jsonSchema: {minLength: 1, maxLength: APPLICATION_MAX_LENGTH, pattern: APPLICATION_PATTERN},
  })
  applicationType: string;

  @property({type: 'string', required: true, description: 'One of GET /volume/hardware', jsonSchema: {minLength: 1, maxLength: 64}})
  hardware: string;

  @property({type: 'string', required: true, jsonSchema: {enum: [...TEMPLATE_TYPES]}, description: 'featured templates are made by admins'})
  type: TemplateType;

  @property({type: 'boolean', required: true, description: 'Public templates are readable by every signed-in user'})
  public: boolean;

  @property({type: 'any', jsonSchema: ID_LIST, description: 'Dataset ids'})
  datasets?: string[];

  @property({type: 'any', jsonSchema: ID_LIST, description: 'Module ids'})
  modules?: string[];

  @property({type: 'any', jsonSchema: ID_LIST, description: 'Secret ids'})
  secrets?: string[];

  // The rule is checked on writes, not in the schema, which answers too: templates saved before it still read.
  @property({
    type: 'string',
    description: 'File or folder the server opens, relative to the home folder: written without a leading /, a .. segment or control characters',
    jsonSchema: {maxLength: RELATIVE_PATH_MAX_LENGTH},
  })
  filePath?: string;

  @property({type: 'any', jsonSchema: {type: 'array', maxItems: 20, items: {type: 'string', minLength: 1, maxLength: 50}}})
  tags?: string[];

  // The operator's caps (IDLE_TIMEOUT_MAX_MINUTES, MAX_LIFETIME_HOURS) are checked on writes: a stored value above a lowered cap still reads, and counts as the cap.
  @property({
    type: 'number',
    description:
      'Minutes a server of this template may sit idle (no activity the hub sees) before the API stops it; fractions allowed. ' +
      'Absent: the operator\'s IDLE_TIMEOUT_MINUTES. At most IDLE_TIMEOUT_MAX_MINUTES',
    jsonSchema: {minimum: SMALLEST_LIMIT, maximum: IDLE_MINUTES_LIMIT},
  })
  idleTimeoutMinutes?: number;

  @property({
    type: 'number',
    description:
      'Hours a server of this template may run after the API started it before the API stops it; fractions allowed. ' +
      'Absent: the operator\'s MAX_LIFETIME_HOURS (0 there: no limit). At most MAX_LIFETIME_HOURS when that is set',
    jsonSchema: {minimum: SMALLEST_LIMIT, maximum: LIFETIME_HOURS_LIMIT},
  })
  maxLifetimeHours?: number;

  @property({type: 'string', jsonSchema: {maxLength: 2048}, description: 'Image URL shown for the template'})
  featuredImage?: string;

  @property({type: 'string', description: 'Email of the creator (set by the server)'})
  creator?: string;

  @property({type: 'date', description: 'Creation time (set by the server)'})
  timestamp?: Date;

  @property({type: 'string', description: 'Base of the JupyterHub named-server names of its servers (set by the server)'})
  serverName?: string;

  /** Made by POST /servers from its body, not saved by anyone: it goes with its last server unless shared. */
  @property({type: 'boolean'})
  implicit?: boolean;

  constructor(data?: Partial<Template>) {
    super(data);
  }
}
