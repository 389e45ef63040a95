import {BindingScope, inject, injectable} from '@loopback/core';
import {param, Request, SchemaObject} from '@loopback/rest';
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
};

/** The media type a client sends in Accept to get JupyterHub's pagination envelope. */
export const PAGINATION_MEDIA_TYPE = 'application/jupyterhub-pagination+json';

export interface PageQuery {
  offset?: number;
  limit?: number;
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
   * plain array or as JupyterHub's envelope.
   */
  async answer<T>(query: PageQuery, request: Request, read: (page: Page) => Promise<PageOf<T>>): Promise<T[] | Envelope<T>> {
    const {defaultLimit, maxLimit} = this.config.lists;
    const offset = Math.max(0, query.offset ?? 0);
    const limit = Math.min(maxLimit, Math.max(1, query.limit ?? defaultLimit));
    const counted = (request.headers.accept ?? '').includes(PAGINATION_MEDIA_TYPE);
    const found = await read({offset, limit, counted});
    if (!counted) return found.items;
    // A counted page comes with its total.
    const total = found.total!;
    const nextOffset = offset + limit;
    let next: Envelope<T>['_pagination']['next'] = null;
    if (nextOffset < total) {
      const url = new URL(request.originalUrl, 'http://placeholder');
      url.searchParams.set('offset', String(nextOffset));
      url.searchParams.set('limit', String(limit));
      next = {offset: nextOffset, limit, url: `${url.pathname}${url.search}`};
    }
    // Answered as the media type asked for (the sequence keeps a JSON type the handler set).
    request.res?.setHeader('Content-Type', PAGINATION_MEDIA_TYPE);
    return {items: found.items, _pagination: {offset, limit, total, next}};
  }
}

/** The optional `owner` and `name` filters of list endpoints, as a where clause. */
export function narrowing(filter: {owner?: string; name?: string}): object {
  const where: Record<string, string> = {};
  if (filter.owner) where.owner = filter.owner.trim().toLowerCase();
  if (filter.name) where.name = filter.name;
  return where;
}
