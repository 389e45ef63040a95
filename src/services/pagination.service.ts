import {BindingScope, inject, injectable} from '@loopback/core';
import {HttpErrors, param, Request, SchemaObject} from '@loopback/rest';
import type {AppConfig} from '../config';
import {AppBindings} from '../keys';
import type {Page, PageOf} from '../models/page';

/** The `offset` and `limit` query parameters of every list endpoint. */
export const pageParam = {
  offset: () => param.query.integer('offset', {schema: {type: 'integer', minimum: 0}, description: 'Items to skip'}),
  limit: () =>
    param.query.integer('limit', {
      schema: {type: 'integer', minimum: 1},
      description: 'Items to answer at most (LIST_DEFAULT_LIMIT when absent; capped at LIST_MAX_LIMIT)',
    }),
  after: () =>
    param.query.string('after', {
      schema: {type: 'string', maxLength: CURSOR_MAX_LENGTH},
      description:
        'A cursor from the pagination envelope\'s `next.url`: the page starts just after the last item of the page that gave it ' +
        '(`offset` then counts from there), so rows created or deleted meanwhile move no item into it twice',
    }),
};

/** Longest `after` cursor taken: a sort key of a few fields and an id. */
const CURSOR_MAX_LENGTH = 2048;

/** The media type a client sends in Accept to get JupyterHub's pagination envelope. */
export const PAGINATION_MEDIA_TYPE = 'application/jupyterhub-pagination+json';

export interface PageQuery {
  offset?: number;
  limit?: number;
  after?: string;
}

export interface Envelope<T> {
  items: T[];
  _pagination: {
    offset: number;
    limit: number;
    total: number;
    next: {offset: number; limit: number; url: string} | null;
  };
}

/** The 200 response of a list endpoint: a plain array, or JupyterHub's envelope when asked for. */
export function listResponse(description: string, item: SchemaObject) {
  return {
    responses: {
      '200': {
        description: `${description}. A plain array; with \`Accept: ${PAGINATION_MEDIA_TYPE}\` the JupyterHub envelope {items, _pagination}.`,
        content: {
          'application/json': {schema: {type: 'array', items: item}},
          [PAGINATION_MEDIA_TYPE]: {
            schema: {
              type: 'object',
              required: ['items', '_pagination'],
              properties: {
                items: {type: 'array', items: item},
                _pagination: {
                  type: 'object',
                  properties: {
                    offset: {type: 'integer'},
                    limit: {type: 'integer'},
                    total: {type: 'integer'},
                    next: {
                      type: 'object',
                      nullable: true,
                      properties: {offset: {type: 'integer'}, limit: {type: 'integer'}, url: {type: 'string'}},
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  };
}

/** offset/limit on every list endpoint, bounded by LIST_MAX_LIMIT (spec section 8). */
@injectable({scope: BindingScope.SINGLETON})
export class PaginationService {
  constructor(@inject(AppBindings.CONFIG) private readonly config: AppConfig) {}

  /**
   * The answer of a list endpoint: the page the query asks for, read by
   * `read` (and counted only when the client asked for the envelope), as a
   * plain array or as JupyterHub's envelope. The envelope's `next.url`
   * carries a cursor (`after`) naming the page's last row, so that a client
   * following it reads the list in keyset order: each page starts after the
   * row the previous one ended with, whatever was created or deleted before
   * it. The cursor also carries the page's offset, told as `offset`.
   */
  async answer<T>(query: PageQuery, request: Request, read: (page: Page) => Promise<PageOf<T>>): Promise<T[] | Envelope<T>> {
    const {defaultLimit, maxLimit} = this.config.lists;
    const offset = Math.max(0, query.offset ?? 0);
    const limit = Math.min(maxLimit, Math.max(1, query.limit ?? defaultLimit));
    const counted = (request.headers.accept ?? '').includes(PAGINATION_MEDIA_TYPE);
    const cursor = query.after === undefined ? undefined : decodeCursor(query.after);
    const found = await read({offset, limit, counted, after: cursor?.key});
    if (!counted) return found.items;
    // A counted page comes with its total.
    const total = found.total!;
    const start = (cursor?.offset ?? 0) + offset;
    let next: Envelope<T>['_pagination']['next'] = null;
    if (found.next) {
      const url = new URL(request.originalUrl, 'http://placeholder');
      url.searchParams.delete('offset');
      url.searchParams.set('limit', String(limit));
      url.searchParams.set('after', encodeCursor({offset: start + limit, key: found.next}));
      next = {offset: start + limit, limit, url: `${url.pathname}${url.search}`};
    }
    // Answered as the media type asked for (the sequence keeps a JSON type the handler set).
    request.res?.setHeader('Content-Type', PAGINATION_MEDIA_TYPE);
    return {items: found.items, _pagination: {offset: start, limit, total, next}};
  }
}

/** Where a page starts: after the row with this sort key, which was at this offset when the cursor was made. */
interface Cursor {
  offset: number;
  key: unknown[];
}

function encodeCursor({offset, key}: Cursor): string {
  return Buffer.from(JSON.stringify([offset, ...key])).toString('base64url');
}

/** A cursor as encodeCursor wrote it; 400 for anything else. Whether its key fits the list is the list's to check. */
function decodeCursor(text: string): Cursor {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (!Array.isArray(decoded) || !Number.isSafeInteger(decoded[0]) || (decoded[0] as number) < 0 || decoded.length < 2) {
    throw invalidCursor();
  }
  const [offset, ...key] = decoded as [number, ...unknown[]];
  if (!key.every(value => value === null || ['string', 'number', 'boolean'].includes(typeof value))) throw invalidCursor();
  return {offset, key};
}

/** The answer to an `after` that is not a cursor this list gave. */
export function invalidCursor(): HttpErrors.HttpError {
  return new HttpErrors.BadRequest('`after` is not a cursor of this list: take it from the envelope\'s `next.url`, or start again without it');
}

/** The optional `owner` and `name` filters of list endpoints, as a where clause. */
export function narrowing(filter: {owner?: string; name?: string}): object {
  const where: Record<string, string> = {};
  if (filter.owner) where.owner = filter.owner.trim().toLowerCase();
  if (filter.name) where.name = filter.name;
  return where;
}
