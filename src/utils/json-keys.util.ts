import {HttpErrors} from '@loopback/rest';

/** The keys LoopBack's JSON body parser refuses (prototype pollution), as patterns: a key equal to one, or under it. */
export const PROHIBITED_JSON_KEYS = ['__proto__', 'constructor.prototype'];

/**
 * 400 with LoopBack's message for the first refused key of a parsed JSON
 * value, at any level: `__proto__`, a `constructor` holding `prototype`,
 * and keys matching `prohibitedKeys`. Checked on the parsed value instead
 * of by a JSON.parse reviver, which runs for every value, array elements
 * included, and builds strings for each: most of the time and of the
 * garbage of parsing a 1 MB notebook. The value nests at most
 * JSON_MAX_DEPTH levels (checked before parsing).
 */
export function assertAllowedKeys(value: unknown, prohibitedKeys: readonly string[] = PROHIBITED_JSON_KEYS): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const element of value) assertAllowedKeys(element, prohibitedKeys);
    return;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const nested = (value as Record<string, unknown>)[key];
    if (
      key === 'constructor' &&
      nested !== null &&
      Object.keys(nested as object).some(k => k === 'prototype' || k.startsWith('prototype.'))
    ) {
      throw new HttpErrors.BadRequest('JSON string cannot contain "constructor.prototype" key.');
    }
    if (prohibitedKeys.some(pattern => key === pattern || key.startsWith(`${pattern}.`))) {
      throw new HttpErrors.BadRequest(`JSON string cannot contain "${key}" key.`);
    }
    assertAllowedKeys(nested, prohibitedKeys);
  }
}
