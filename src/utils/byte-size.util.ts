/** Powers of 1024, as JupyterHub's ByteSpecification counts them. */
const UNITS: Record<string, number> = {'': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4};
const BYTE_SIZE = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)(?:i?B?)\s*$/i;

/**
 * A memory size in bytes: "2G" is 2 * 1024^3, "1.5G" and "512M" read alike,
 * "Gi" and "GB" are G, a bare number is bytes, as JupyterHub's
 * ByteSpecification reads them. The hub's spawner gets bytes in the launch plan.
 * Throws an Error saying what is wrong with `value`.
 */
export function parseByteSize(value: unknown): number {
  if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) {
    throw new Error(`memory ${JSON.stringify(value)} must be a string like "2G" or "512M"`);
  }
  const match = BYTE_SIZE.exec(String(value));
  if (!match) throw new Error(`memory ${JSON.stringify(value)} must be a number with an optional unit K, M, G or T`);
  const bytes = Math.trunc(Number(match[1]) * UNITS[match[2].toUpperCase()]);
  if (bytes <= 0) throw new Error(`memory ${JSON.stringify(value)} must be positive`);
  return bytes;
}
