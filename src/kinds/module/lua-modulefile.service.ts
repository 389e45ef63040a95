import {BindingScope, injectable} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import {LUA_CALLS_MAX, type LuaCall} from './module.model';

export interface LuaArgument {
  name: string;
  description: string;
  /** Environment variable names must match this; other arguments are free text. */
  pattern?: string;
  /**
   * The value reaches the user's shell through Lmod, which writes line
   * breaks there unquoted (a newline would start a new shell command): no
   * control characters are allowed.
   */
  singleLine?: boolean;
}

export interface LuaFunction {
  id: string;
  description: string;
  arguments: LuaArgument[];
  minArguments: number;
  maxArguments: number;
}

const VARIABLE: LuaArgument = {
  name: 'variable',
  description: 'Environment variable name',
  pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
};
/** Shown by `module help` or `whatis`, never evaluated by a shell: any text. */
const text = (name: string, description: string): LuaArgument => ({name, description});
/** Exported to the shell by Lmod: one line. */
const exported = (name: string, description: string): LuaArgument => ({name, description, singleLine: true});
const fixed = (id: string, description: string, args: LuaArgument[]): LuaFunction => ({
  id,
  description,
  arguments: args,
  minArguments: args.length,
  maxArguments: args.length,
});
const variadic = (id: string, description: string, arg: LuaArgument): LuaFunction => ({
  id,
  description,
  arguments: [arg],
  minArguments: 1,
  maxArguments: 16,
});

/** The Lmod functions a modulefile may call, with their arguments (GET /volume/lua). */
export const LUA_FUNCTIONS: readonly LuaFunction[] = [
  variadic('help', 'Text shown by `module help`', text('text', 'A line of help')),
  fixed('whatis', 'One-line description shown by `module whatis`', [text('text', 'Description')]),
  fixed('setenv', 'Set an environment variable', [VARIABLE, exported('value', 'Value')]),
  fixed('unsetenv', 'Unset an environment variable', [VARIABLE]),
  fixed('pushenv', 'Set a variable, restoring the old value on unload', [VARIABLE, exported('value', 'Value')]),
  fixed('prepend_path', 'Put a path in front of a path variable', [VARIABLE, exported('path', 'Path')]),
  fixed('append_path', 'Put a path at the end of a path variable', [VARIABLE, exported('path', 'Path')]),
  fixed('remove_path', 'Remove a path from a path variable', [VARIABLE, exported('path', 'Path')]),
  variadic('load', 'Load other modules', exported('module', 'Module name, optionally name/version')),
  variadic('depends_on', 'Load other modules, unloaded with this one', exported('module', 'Module name')),
  variadic('prereq', 'Require other modules to be loaded', exported('module', 'Module name')),
  variadic('conflict', 'Refuse to load beside these modules', exported('module', 'Module name')),
  fixed('family', 'Only one module of a family loads at a time', [exported('name', 'Family name')]),
  fixed('set_alias', 'Define a shell alias', [exported('name', 'Alias name'), exported('value', 'Command')]),
];

const BY_ID = new Map(LUA_FUNCTIONS.map(fn => [fn.id, fn]));

/**
 * Generates Lmod modulefiles. Every argument is emitted as a Lua string
 * literal with quotes, backslashes and control characters escaped, so no
 * input can end the literal and inject code.
 */
@injectable({scope: BindingScope.SINGLETON})
export class LuaModulefileService {
  /** 400 naming the first call that is not allowed, or the count past LUA_CALLS_MAX. */
  validate(calls: LuaCall[]): void {
    if (calls.length > LUA_CALLS_MAX) {
      throw new HttpErrors.BadRequest(`luaModuleFile holds at most ${LUA_CALLS_MAX} calls, not ${calls.length}`);
    }
    calls.forEach((call, index) => {
      const where = `luaModuleFile[${index}]`;
      const fn = BY_ID.get(call.id);
      if (!fn) {
        throw new HttpErrors.BadRequest(
          `${where}.id "${call.id}" is not an allowed function; see GET /volume/lua`,
        );
      }
      const count = call.arguments.length;
      if (count < fn.minArguments || count > fn.maxArguments) {
        const expected = fn.minArguments === fn.maxArguments
          ? `${fn.minArguments}`
          : `${fn.minArguments} to ${fn.maxArguments}`;
        throw new HttpErrors.BadRequest(`${where}: ${fn.id} takes ${expected} arguments, got ${count}`);
      }
      call.arguments.forEach((value, position) => {
        if (value.includes('\0')) {
          throw new HttpErrors.BadRequest(`${where}.arguments[${position}] contains a NUL character`);
        }
        const spec = fn.arguments[Math.min(position, fn.arguments.length - 1)];
        if (spec.singleLine && hasControlCharacter(value)) {
          throw new HttpErrors.BadRequest(
            `${where}.arguments[${position}]: ${fn.id} values reach the shell, so they may not hold line breaks or other control characters`,
          );
        }
        if (spec.pattern && !new RegExp(spec.pattern).test(value)) {
          throw new HttpErrors.BadRequest(
            `${where}.arguments[${position}] "${value}" is not a valid ${spec.description.toLowerCase()}`,
          );
        }
      });
    });
  }

  /**
   * The modulefile: the module's binaries folder put on PATH, so its
   * programs run by name once it is loaded, then the module's own calls
   * (a prepend_path of theirs comes before it on PATH).
   */
  render(calls: LuaCall[], binariesFolder: string): string {
    this.validate(calls);
    const lines = calls.map(call => `${call.id}(${call.arguments.map(luaString).join(', ')})`);
    return [
      '-- Generated by the Notebooks Hub API from the module\'s luaModuleFile.',
      '-- Change the module through the API: this file is rewritten on every update.',
      `prepend_path("PATH", ${luaString(binariesFolder)})`,
      ...lines,
      '',
    ].join('\n');
  }
}

function hasControlCharacter(candidate: string): boolean {
  return [...candidate].some(char => char < ' ' || char === '\u007f');
}

/** A double-quoted Lua string literal holding exactly `value`. */
export function luaString(value: string): string {
  let literal = '"';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '"') literal += '\\"';
    else if (char === '\\') literal += '\\\\';
    else if (char === '\n') literal += '\\n';
    else if (code < 0x20 || code === 0x7f) literal += `\\${String(code).padStart(3, '0')}`;
    else literal += char;
  }
  return `${literal}"`;
}
