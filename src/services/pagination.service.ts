import {BindingScope, inject, injectable} from '@loopback/core';
import {param, ReferenceObject, Request, SchemaObject} from '@loopback/rest';
import type {AppConfig} from '../config';
import {AppBindings} from '../keys';
import {invalidCursor} from '../repositories/plain-crud.repository';
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

/** The `_pagination` of JupyterHub's envelope: where the page starts, its size, how many match in all, and the next page. */
const PAGINATION_SCHEMA: SchemaObject = {
  title: 'Pagination',
  type: 'object',
  required: ['offset', 'limit', 'total', 'next'],
  properties: {
    offset: {type: 'integer', minimum: 0},
    limit: {type: 'integer', minimum: 1},
    total: {type: 'integer', minimum: 0, description: 'How many match in all'},
    next: {
      type: 'object',
      nullable: true,
      description: 'The next page; null on the last',
      required: ['offset', 'limit', 'url'],
      properties: {offset: {type: 'integer', minimum: 0}, limit: {type: 'integer', minimum: 1}, url: {type: 'string', description: 'This list\'s path and query for the next page'}},
    },
  },
};

/**
 * The 200 response of the list endpoint at `route`, of `item`s (a named
 * schema): a plain array as `application/json`, or JupyterHub's envelope
 * (`{Item}Page`) as PAGINATION_MEDIA_TYPE, which is what a client that sends
 * that media type in Accept gets, as from JupyterHub itself. The examples
 * show one item, the envelope's on the first page of two.
 */
export function listResponse(route: string, description: string, item: SchemaObject | ReferenceObject, itemExample: object) {
  const name = '$ref' in item ? item.$ref.split('/').pop()! : item.title!;
  const url = `${route}?offset=1&limit=1`;
  return {
    responses: {
      '200': {
        description: `${description}. A plain array; with \`Accept: ${PAGINATION_MEDIA_TYPE}\` the JupyterHub envelope {items, _pagination}.`,
        content: {
          'application/json': {schema: {type: 'array', items: item}, example: [itemExample]},
          [PAGINATION_MEDIA_TYPE]: {
            schema: {
              title: `${name}Page`,
              type: 'object',
              required: ['items', '_pagination'],
              properties: {items: {type: 'array', items: item}, _pagination: PAGINATION_SCHEMA},
            },
            example: {items: [itemExample], _pagination: {offset: 0, limit: 1, total: 2, next: {offset: 1, limit: 1, url}}},
          },
        },
      },
    },
  };
}

/** offset/limit on every list endpoint, bounded by LIST_MAX_LIMIT. */
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

/** The optional `owner` and `name` filters of list endpoints, as a where clause. */
export function narrowing(filter: {owner?: string; name?: string}): object {
  const where: Record<string, string> = {};
  if (filter.owner) where.owner = filter.owner.trim().toLowerCase();
  if (filter.name) where.name = filter.name;
  return where;
}
