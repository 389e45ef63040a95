import type {Request} from '@loopback/rest';
import {Slots} from './slots.util';

/** A request body from this size on (or of unknown size) is large. */
const LARGE_BODY_BYTES = 256 * 1024;
/**
 * Large bodies read and handled at once. Parsing, validating and writing
 * a notebook of a megabyte is work on the one JavaScript thread: more at
 * once gets done no sooner, and each holds its text, its parsed tree and
 * its file text (several megabytes) until it is answered, long enough to
 * reach the old generation of the heap. The others wait, unread, in their
 * connections.
 */
const LARGE_BODIES_AT_ONCE = 2;
const largeBodies = new Slots(LARGE_BODIES_AT_ONCE);

/** For a large body: waits until fewer than LARGE_BODIES_AT_ONCE are being handled, and counts this one until it is answered. */
export async function awaitLargeBodyTurn(request: Request): Promise<void> {
  const length = Number(request.get('content-length'));
  if (length < LARGE_BODY_BYTES || !request.res) return;
  await largeBodies.holdUntilClosed(request.res);
}
