import {invalidFields} from './api-error.util';

/**
 * How deep objects and arrays may nest in a JSON body or a notebook. Real
 * notebooks (widget state, plot specs) stay far below; thousands of levels
 * overflow the stack of the JSON reviver and of every recursive walk after
 * it, and make the indented file of a notebook grow with the square of the depth.
 */
export const JSON_MAX_DEPTH = 100;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether JSON text nests objects and arrays deeper than `max`, scanned
 * without parsing (text that is not JSON is left to the parser to refuse).
 * Strings, most of a notebook, are skipped with indexOf; the characters
 * counted are ASCII, so UTF-8 bytes are scanned as they are.
 */
export function nestsDeeperThan(text: string | Buffer, max: number): boolean {
  return typeof text === 'string'
    ? deeperThan(text.length, i => text.charCodeAt(i), from => text.indexOf('"', from), max)
    : deeperThan(text.length, i => text[i], from => text.indexOf(QUOTE, from), max);
}

function deeperThan(length: number, at: (i: number) => number, nextQuote: (from: number) => number, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < length; i++) {
    const c = at(i);
    if (c === QUOTE) {
      // The closing quote: the next one not escaped by an odd run of backslashes.
      let end = nextQuote(i + 1);
      while (end > 0 && escaped(at, end)) end = nextQuote(end + 1);
      if (end < 0) return false;
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

function escaped(at: (i: number) => number, quote: number): boolean {
  let backslashes = 0;
  for (let i = quote - 1; at(i) === BACKSLASH; i--) backslashes++;
  return backslashes % 2 === 1;
}

/** A 400 validation_failed, naming the field at `path` (a JSON Pointer; the body: ''), for JSON text nested deeper than JSON_MAX_DEPTH. */
export function assertJsonDepth(text: string | Buffer, path = ''): void {
  if (!nestsDeeperThan(text, JSON_MAX_DEPTH)) return;
  throw invalidFields([
    {
      path,
      code: 'maxDepth',
      message: `nests objects and arrays more than ${JSON_MAX_DEPTH} levels deep; at most ${JSON_MAX_DEPTH} are accepted`,
    },
  ]);
}

/**
 * How many characters JSON.stringify(value, null, 1) adds to the compact
 * text of a JSON value: before each member of a non-empty container a line
 * break and one space per level, before its closing bracket a line break
 * and its own level's spaces, and a space after every colon. Counted on the
 * value, whose strings are single nodes, not on its text.
 */
export function indentationCost(value: unknown, depth = 0): number {
  if (value === null || typeof value !== 'object') return 0;
  const members = Array.isArray(value) ? value : Object.values(value);
  if (members.length === 0) return 0;
  let cost = members.length * (depth + 2) + depth + 1 + (Array.isArray(value) ? 0 : members.length);
  for (const member of members) cost += indentationCost(member, depth + 1);
  return cost;
}
