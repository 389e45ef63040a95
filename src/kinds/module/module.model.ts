import {model, property} from '@loopback/repository';
import {MODULE_SEGMENT_PATTERN} from '../../validation';
import {MountedResource} from '../../models/mounted-resource.model';

/** One call of the modulefile: a function from GET /volume/lua and its string arguments. */
// `id` here is the Lmod function's name, not an identifier: no id is injected or coerced.
@model({settings: {strict: true, idInjection: false}})
export class LuaCall {
  @property({type: 'string', required: true, jsonSchema: {maxLength: 64}})
  id: string;

  // Typed `any` for the store: an array with an itemType would get maxItems on each item (see template.model.ts).
  @property({
    type: 'any',
    required: true,
    jsonSchema: {type: 'array', maxItems: 32, items: {type: 'string', maxLength: 4096}},
  })
  arguments: string[];
}

/** Most calls in a modulefile; checked by the module service, since LoopBack cannot put maxItems on an array of models. */
export const LUA_CALLS_MAX = 200;

/**
 * An Lmod module: a binaries folder and a generated modulefile.
 *
 * Live modules are unique per (owner, name, version); trashed ones must not
 * block a new module of that key. MongoDB cannot index only the rows with
 * `deletedAt: null` (a partial index takes no null match), so deletedAt is
 * part of the key: every live module has none (null to the index), and a
 * trashed one has its own trash time, so it collides with nothing a live
 * module or another trashed module of the key could hold.
 */
@model({
  settings: {
    strict: true,
    strictObjectIDCoercion: true,
    indexes: {
      uniqueLiveModule: {keys: {owner: 1, name: 1, version: 1, deletedAt: 1}, options: {unique: true}},
      // The list's: live modules of an owner, featured ones, and all live ones, in its order (name, version, then id).
      listByOwner: {keys: {owner: 1, deletedAt: 1, name: 1, version: 1, _id: 1}},
      listFeatured: {keys: {featured: 1, deletedAt: 1, name: 1, version: 1, _id: 1}},
      listAll: {keys: {deletedAt: 1, name: 1, version: 1, _id: 1}},
    },
  },
})
export class Module extends MountedResource {
  @property({type: 'string', required: true, jsonSchema: {pattern: MODULE_SEGMENT_PATTERN}})
  name: string;

  @property({type: 'string', required: true, jsonSchema: {pattern: MODULE_SEGMENT_PATTERN}})
  version: string;

  @property({type: 'boolean', default: false, description: 'Featured modules are curated by admins and readable by everyone'})
  featured?: boolean;

  @property.array(LuaCall)
  luaModuleFile?: LuaCall[];

  constructor(data?: Partial<Module>) {
    super(data);
  }
}
