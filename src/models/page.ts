/**
 * One page of a list as the store is asked for it: `offset` rows skipped,
 * at most `limit` answered, and the rows matching in all counted only when
 * `counted`, since only the pagination envelope tells the total.
 */
export interface Page {
  offset: number;
  limit: number;
  counted: boolean;
}

/** The rows of a page, and how many match in all when the page was counted. */
export interface PageOf<T> {
  items: T[];
  total?: number;
}
