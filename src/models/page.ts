/**
 * One page of a list as the store is asked for it: `offset` rows skipped
 * (counted from just after the row whose sort key is `after`, when given),
 * at most `limit` answered, and the rows matching in all counted only when
 * `counted`, since only the pagination envelope tells the total (and where
 * the next page starts).
 */
export interface Page {
  offset: number;
  limit: number;
  counted: boolean;
  /** The sort key (each sort field's value, then the id) of the row the page starts after. */
  after?: unknown[];
}

/**
 * The rows of a page; when the page was counted, how many match in all and,
 * when rows follow the page, the sort key of its last row.
 */
export interface PageOf<T> {
  items: T[];
  total?: number;
  next?: unknown[];
}
