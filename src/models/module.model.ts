import {Entity, model, property} from '@loopback/repository';
import {
  DESCRIPTION_MAX_LENGTH,
  EMAIL_PATTERN,
  MODULE_SEGMENT_PATTERN,
} from '../validation';

/** One call of the modulefile: a function from GET /volume/lua and its string arguments. */
// `id` here is the Lmod function's name, not an identifier: no id is injected or coerced.
@model({settings: {strict: true, idInjection: false}})
export class LuaCall {
  @property({type: 'string', required: true, jsonSchema: {maxLength: 64}})
  id: string;

  @property.array(String, {
    required: true,
    jsonSchema: {maxItems: 32, items: {type: 'string', maxLength: 4096}},
  })
  arguments: string[];
}

/** An Lmod module: a binaries folder and a generated modulefile. */
@model({settings: {strict: true, strictObjectIDCoercion: true}})
export class Module extends Entity {
  @property({type: 'string', id: true, defaultFn: 'uuidv4'})
  _id?: string;

  @property({type: 'string', required: true, jsonSchema: {pattern: MODULE_SEGMENT_PATTERN}})
  name: string;

  @property({type: 'string', required: true, jsonSchema: {pattern: MODULE_SEGMENT_PATTERN}})
  version: string;

  @property({type: 'string', jsonSchema: {maxLength: DESCRIPTION_MAX_LENGTH}})
  description?: string;

  @property({
    type: 'string',
    description: 'Email of the owner: the caller, or whom an admin names',
    jsonSchema: {pattern: EMAIL_PATTERN},
  })
  owner?: string;

  @property({type: 'boolean', default: false, description: 'Featured modules are curated by admins and readable by everyone'})
  featured?: boolean;

  @property({type: 'boolean', default: false, description: 'Whether servers mount its binaries writable'})
  write_access?: boolean;

  @property.array(LuaCall, {jsonSchema: {maxItems: 200}})
  luaModuleFile?: LuaCall[];

  @property({type: 'date', description: 'When it went to the trash; absent while live'})
  deletedAt?: Date;

  constructor(data?: Partial<Module>) {
    super(data);
  }
}
