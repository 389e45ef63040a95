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
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * Whether JSON text nests objects and arrays deeper than `max`, scanned
 * without parsing (text that is not JSON is left to the parser to refuse).
 * Bytes of UTF-8 are scanned as they are: the characters counted are ASCII.
 */
export function nestsDeeperThan(text: string | Buffer, max: number): boolean {
  const at = typeof text === 'string' ? (i: number) => text.charCodeAt(i) : (i: number) => text[i];
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = at(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
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
 * text of the same value, counted from the compact text alone: a line
 * break and one space per level before every member and every closing
 * bracket of a non-empty container, and a space after every colon.
 */
export function indentationCost(compact: string): number {
  let depth = 0;
  let cost = 0;
  let inString = false;
  for (let i = 0; i < compact.length; i++) {
    const c = compact.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      const next = compact.charCodeAt(i + 1);
      if (next !== CLOSE_BRACE && next !== CLOSE_BRACKET) cost += 1 + depth;
    } else if (c === COMMA) {
      cost += 1 + depth;
    } else if (c === COLON) {
      cost += 1;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      const previous = compact.charCodeAt(i - 1);
      if (previous !== OPEN_BRACE && previous !== OPEN_BRACKET) cost += depth;
      depth--;
    }
  }
  return cost;
}
