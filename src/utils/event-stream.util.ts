import type {Readable} from 'node:stream';

/**
 * Reads a server-sent event stream and calls `onEvent` with each event's
 * parsed JSON data; resolves when the stream ends or `onEvent` answers true.
 */
export async function readEvents(
  stream: Readable,
  onEvent: (data: Record<string, unknown>) => boolean | void,
): Promise<void> {
  let buffer = '';
  try {
    for await (const chunk of stream) {
      buffer += chunk.toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = eventData(event);
        if (data === '') continue;
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(data);
        } catch {
          continue;
        }
        if (onEvent(parsed) === true) return;
      }
    }
  } finally {
    stream.destroy();
  }
}

/** The data of one server-sent event (its `data:` lines joined), `''` for a comment or a `retry:` alone. */
export function eventData(event: string): string {
  return event
    .split('\n')
    .filter(line => line.startsWith('data:'))
    .map(line => line.slice(5).trimStart())
    .join('\n');
}
