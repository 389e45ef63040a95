import {applyFilter} from 'loopback-datasource-juggler/lib/connectors/memory';
import {Bound, compareValues, SortedIndex, StoredRow} from './sorted-index';

type Row = Record<string, unknown>;

export interface SortKey {
  keyPath: string[];
  direction: 1 | -1;
}

/** The type an index key's values have (an array property's: its elements'). */
export type ValueType = 'string' | 'number' | 'boolean' | 'date';

/** What the planner reads of one model's rows. */
export interface IndexedRows {
  idName: string;
  /** The primary index (by id) first, then the declared ones. */
  indexes: SortedIndex[];
  size: number;
  get(key: string): StoredRow | undefined;
  /** The type of a property whose values an index may look up; undefined for others. */
  valueType(field: string): ValueType | undefined;
}

export interface PageQuery {
  where?: Row;
  /** Ends with the id key: a total order. */
  order: SortKey[];
  skip: number;
  limit?: number;
}

/**
 * The rows matching `where`, in `order`, `skip` of them skipped and at most
 * `limit` answered, read from the indexes; undefined when the order is not
 * total (no id key), which the indexes cannot serve as the stock connector
 * orders ties.
 *
 * The where clause is written as an `or` of `and` terms. Each term is read
 * from the index that costs least for it (equal values of leading keys and
 * a range of the next one, or the rows looked up by id), in the order asked
 * for when the index's keys after the looked-up ones are that order, sorted
 * otherwise; the terms' rows are merged in order, each row once. Every row
 * answered is tested against the whole where clause unless the run it comes
 * from holds only matching rows, so an index only decides what is read, not
 * what is answered.
 */
export function findRows(rows: IndexedRows, query: PageQuery): StoredRow[] | undefined {
  const order = totalOrder(query.order, rows.idName);
  if (!order) return undefined;
  // A lookup by id, most queries: its one row, with no plan to make.
  const id = lookedUpId(query.where, rows.idName);
  if (id !== undefined) {
    const found = rows.get(id);
    return found && query.skip === 0 ? [found] : [];
  }
  const need = query.limit === undefined ? Infinity : query.skip + query.limit;
  const matches = compileWhere(query.where ?? {});
  const plans = termsOf(query.where ?? {}).map(term => cheapestPlan(rows, term, order, {need}));
  const answered: StoredRow[] = [];
  const wanted = query.limit ?? Infinity;
  let skip = query.skip;
  let stream: Stream;
  const [only] = plans;
  if (plans.length === 1 && only.ordered && only.exact && only.runs?.length === 1) {
    // Every row of the run is answered: the skipped ones are not read.
    const [from, to] = only.runs[0];
    stream = new RunStream(only.index, Math.min(to, from + skip), to);
    skip = 0;
  } else {
    stream = new MergedStream(
      plans.map(plan => streamOf(plan, order, plan.exact ? undefined : matches)),
      (a, b) => compareRows(a.row, b.row, order),
    );
  }
  for (let entry = stream.peek(); entry && answered.length < wanted; stream.next(), entry = stream.peek()) {
    if (skip > 0) skip--;
    else answered.push(entry);
  }
  return answered;
}

/**
 * How many rows match `where`, from the indexes: a run that holds only
 * matching rows is counted by its length; the rows of the other terms are
 * read and counted when no earlier term holds them.
 */
export function countRows(rows: IndexedRows, where: Row | undefined): number {
  const order = [{keyPath: [rows.idName], direction: 1 as const}];
  const plans = termsOf(where ?? {}).map(term => cheapestPlan(rows, term, order, {counting: true}));
  // The largest exact term is counted without reading it; the others' rows are read.
  const first = plans.filter(plan => plan.exact).sort((a, b) => b.size - a.size)[0];
  const rest = plans.filter(plan => plan !== first);
  const matches = compileWhere(where ?? {});
  const earlier: Array<(row: Row) => boolean> = first ? [termMatcher(first.term)] : [];
  let count = first?.size ?? 0;
  for (const plan of rest) {
    const inTerm = termMatcher(plan.term);
    for (const entry of candidatesOf(plan)) {
      if (matches(entry.row) && inTerm(entry.row) && !earlier.some(inEarlier => inEarlier(entry.row))) count++;
    }
    earlier.push(inTerm);
  }
  return count;
}

/** The id a where clause of the form {id: value} looks up, as the rows' key. */
function lookedUpId(where: Row | undefined, idName: string): string | undefined {
  if (!where) return undefined;
  const keys = Object.keys(where);
  if (keys.length !== 1 || keys[0] !== idName) return undefined;
  const value = where[idName];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** The sort keys up to and including the id key; undefined without one. */
function totalOrder(order: SortKey[], idName: string): SortKey[] | undefined {
  const id = order.findIndex(key => key.keyPath.length === 1 && key.keyPath[0] === idName);
  return id < 0 ? undefined : order.slice(0, id + 1);
}

interface FieldCondition {
  field: string;
  condition: unknown;
}

/** A conjunction of field conditions; `faithful` when it is exactly one branch of the where clause. */
interface Term {
  conditions: FieldCondition[];
  faithful: boolean;
}

/** Terms a where clause is cut into at most; beyond, it is read as one term. */
const MAX_TERMS = 64;
/** Runs a term reads from one index at most (values of its looked-up keys multiplied). */
const MAX_RUNS = 256;

/**
 * The where clause as an `or` of terms (`and` distributed over `or`), each
 * matching at least the rows of its branch; too many terms make one that
 * matches every row.
 */
function termsOf(where: Row): Term[] {
  return disjunction(where) ?? [{conditions: [], faithful: false}];
}

function disjunction(where: Row): Term[] | undefined {
  let terms: Term[] | undefined = [{conditions: [], faithful: true}];
  for (const [key, value] of Object.entries(where)) {
    let alternatives: Term[] | undefined;
    if ((key === 'and' || key === 'or') && Array.isArray(value)) {
      const clauses = (value as unknown[]).map(clause => (isObject(clause) ? disjunction(clause) : [{conditions: [], faithful: false}]));
      if (clauses.some(clause => clause === undefined)) return undefined;
      alternatives =
        key === 'or'
          ? clauses.flatMap(clause => clause!)
          : clauses.reduce<Term[] | undefined>(
              (product, clause) => product && conjunction(product, clause!),
              [{conditions: [], faithful: true}],
            );
    } else {
      alternatives = [{conditions: [{field: key, condition: value}], faithful: true}];
    }
    terms = alternatives && conjunction(terms, alternatives);
    if (!terms) return undefined;
  }
  return terms;
}

function conjunction(left: Term[], right: Term[]): Term[] | undefined {
  if (left.length * right.length > MAX_TERMS) return undefined;
  return left.flatMap(a => right.map(b => ({conditions: [...a.conditions, ...b.conditions], faithful: a.faithful && b.faithful})));
}

function termMatcher(term: Term): (row: Row) => boolean {
  return compileWhere({and: term.conditions.map(({field, condition}) => ({[field]: condition}))});
}

/** How a term is read: runs of an index, or rows looked up by id. */
interface Plan {
  term: Term;
  index: SortedIndex;
  runs?: Array<[number, number]>;
  lookedUp?: StoredRow[];
  size: number;
  /** Each run holds its rows in the order asked for. */
  ordered: boolean;
  /** Every row read matches the term, the term is a branch of the where clause, and no row is read twice. */
  exact: boolean;
}

function cheapestPlan(rows: IndexedRows, term: Term, order: SortKey[], goal: {need?: number; counting?: boolean}): Plan {
  let best: Plan | undefined;
  let bestCost = Infinity;
  for (const index of rows.indexes) {
    const plan = planOn(rows, index, term, order);
    if (!plan) continue;
    const cost = costOf(plan, goal);
    if (cost < bestCost) [best, bestCost] = [plan, cost];
  }
  // The primary index with no key looked up reads every row: always a plan.
  return best!;
}

/** Rows read, and sorted when the plan is not in order; counted runs are not read. */
function costOf(plan: Plan, {need = Infinity, counting = false}: {need?: number; counting?: boolean}): number {
  const lookups = plan.runs?.length ?? plan.size;
  if (counting) return lookups + (plan.exact ? 0 : plan.size);
  if (plan.ordered) return lookups + (plan.exact ? Math.min(plan.size, need) : plan.size);
  return lookups + plan.size * (1 + Math.log2(plan.size + 1));
}

function planOn(rows: IndexedRows, index: SortedIndex, term: Term, order: SortKey[]): Plan | undefined {
  const used = new Set<FieldCondition>();
  const prefix: unknown[][] = [];
  let runs = 1;
  for (const {field} of index.keys) {
    const type = rows.valueType(field);
    const multikey = prefix.length === index.multikeyAt;
    const lookup = type && findCondition(term, used, field, condition => equalValues(condition, type, multikey));
    // Ids are looked up one by one, however many; other values multiply the runs to read.
    const byId = prefix.length === 0 && field === rows.idName;
    if (!lookup || (!byId && runs * lookup.values.length > MAX_RUNS)) break;
    used.add(lookup.found);
    prefix.push(lookup.values);
    runs *= lookup.values.length;
  }
  // An array's rows are in the index once per element: read for one element value only.
  if (index.multikeyAt >= 0 && (prefix.length <= index.multikeyAt || prefix[index.multikeyAt].length > 1)) return undefined;
  const ordered = servesOrder(index, prefix.length, order);
  const exact = () => term.faithful && used.size === term.conditions.length;
  if (prefix.length > 0 && index.keys[0].field === rows.idName) {
    const lookedUp = [...new Set(prefix[0].map(String))].flatMap(key => rows.get(key) ?? []);
    return {term, index, lookedUp, size: lookedUp.length, ordered: lookedUp.length <= 1, exact: exact()};
  }
  const next = prefix.length < index.keys.length && prefix.length !== index.multikeyAt ? index.keys[prefix.length].field : undefined;
  const type = next === undefined ? undefined : rows.valueType(next);
  const lower = type && findCondition(term, used, next!, condition => boundOf(condition, type, 'lower'));
  if (lower) used.add(lower.found);
  const upper = type && findCondition(term, used, next!, condition => boundOf(condition, type, 'upper'));
  if (upper) used.add(upper.found);
  // Every row, out of order: what the index by id reads already.
  if (prefix.length === 0 && !lower && !upper && !ordered && index !== rows.indexes[0]) return undefined;

  const runsFound = combinations(prefix)
    .map(values => index.range(values, lower?.values, upper?.values))
    .filter(([from, to]) => to > from);
  return {
    term,
    index,
    runs: runsFound,
    size: runsFound.reduce((sum, [from, to]) => sum + to - from, 0),
    ordered,
    exact: exact(),
  };
}

/**
 * Whether the rows of a run (equal values of the first `looked` keys) are in
 * `order`: the index's keys after them are the order's keys, the looked-up
 * ones left out.
 */
function servesOrder(index: SortedIndex, looked: number, order: SortKey[]): boolean {
  const lookedUp = new Set(index.keys.slice(0, looked).map(key => key.field));
  const rest = order.filter(key => !(key.keyPath.length === 1 && lookedUp.has(key.keyPath[0])));
  const after = index.keys.slice(looked);
  return (
    rest.length === after.length &&
    rest.every((key, i) => key.keyPath.length === 1 && key.keyPath[0] === after[i].field && key.direction === after[i].direction)
  );
}

function findCondition<V>(
  term: Term,
  used: Set<FieldCondition>,
  field: string,
  usable: (condition: unknown) => V | undefined,
): {found: FieldCondition; values: V} | undefined {
  for (const found of term.conditions) {
    if (found.field !== field || used.has(found)) continue;
    const values = usable(found.condition);
    if (values !== undefined) return {found, values};
  }
  return undefined;
}

/**
 * The values an index looks up for a condition that matches exactly the
 * rows holding one of them, as the stock filter tests it: equal to a value
 * of the property's type, null (missing too), or `inq` of such values. An
 * array property matches when an element does, and never matches null as
 * the index holds it (an empty array); `inq` of dates matches nothing there.
 */
function equalValues(condition: unknown, type: ValueType, multikey: boolean): unknown[] | undefined {
  if (condition === null || condition === undefined) return multikey ? undefined : [null];
  if (ofType(condition, type)) return [condition];
  if (!isObject(condition) || Object.keys(condition).length !== 1 || !Array.isArray(condition.inq) || type === 'date') return undefined;
  const listed = condition.inq as unknown[];
  if (!listed.every(value => ofType(value, type) || (!multikey && (value === null || value === undefined)))) return undefined;
  return [...new Set(listed.map(value => value ?? null))];
}

/** A range's lower or upper bound from a `gt`, `gte`, `lt` or `lte` condition on a value of the property's type. */
function boundOf(condition: unknown, type: ValueType, side: 'lower' | 'upper'): Bound | undefined {
  if (!isObject(condition)) return undefined;
  const operators = Object.keys(condition);
  if (operators.length !== 1 || !ofType(condition[operators[0]], type)) return undefined;
  const value = condition[operators[0]];
  switch (operators[0]) {
    case 'gt':
    case 'gte':
      return side === 'lower' ? {value, inclusive: operators[0] === 'gte'} : undefined;
    case 'lt':
    case 'lte':
      return side === 'upper' ? {value, inclusive: operators[0] === 'lte'} : undefined;
    default:
      return undefined;
  }
}

function ofType(value: unknown, type: ValueType): boolean {
  return type === 'date' ? value instanceof Date && !Number.isNaN(value.getTime()) : typeof value === type;
}

function combinations(lists: unknown[][]): unknown[][] {
  return lists.reduce<unknown[][]>((product, list) => product.flatMap(values => list.map(value => [...values, value])), [[]]);
}

function* candidatesOf(plan: Plan): Iterable<StoredRow> {
  if (plan.lookedUp) {
    yield* plan.lookedUp;
    return;
  }
  for (const [from, to] of plan.runs!) for (let position = from; position < to; position++) yield plan.index.at(position);
}

interface Stream {
  peek(): StoredRow | undefined;
  next(): void;
}

/** A plan's rows in order, those `matches` refuses left out. */
function streamOf(plan: Plan, order: SortKey[], matches?: (row: Row) => boolean): Stream {
  if (plan.ordered && plan.runs) {
    const runs = plan.runs.map(([from, to]) => new RunStream(plan.index, from, to, matches));
    return runs.length === 1 ? runs[0] : new MergedStream(runs, (a, b) => compareRows(a.row, b.row, order));
  }
  const found: StoredRow[] = [];
  for (const entry of candidatesOf(plan)) if (!matches || matches(entry.row)) found.push(entry);
  if (!plan.ordered) found.sort((a, b) => compareRows(a.row, b.row, order));
  return new RunStream({at: position => found[position]}, 0, found.length);
}

class RunStream implements Stream {
  constructor(
    private readonly index: {at(position: number): StoredRow},
    private position: number,
    private readonly end: number,
    private readonly matches?: (row: Row) => boolean,
  ) {
    this.settle();
  }

  peek(): StoredRow | undefined {
    return this.position < this.end ? this.index.at(this.position) : undefined;
  }

  next(): void {
    this.position++;
    this.settle();
  }

  private settle(): void {
    if (!this.matches) return;
    while (this.position < this.end && !this.matches(this.index.at(this.position).row)) this.position++;
  }
}

/** Streams in one order merged (a binary heap on their next rows), a row in several streams answered once. */
class MergedStream implements Stream {
  private readonly heap: Stream[];

  constructor(streams: Stream[], private readonly compare: (a: StoredRow, b: StoredRow) => number) {
    this.heap = streams.filter(stream => stream.peek());
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.sink(i);
  }

  peek(): StoredRow | undefined {
    return this.heap[0]?.peek();
  }

  next(): void {
    const current = this.peek();
    // In a total order a row's copies in other streams are next.
    while (this.heap.length > 0 && this.heap[0].peek() === current) {
      this.heap[0].next();
      if (!this.heap[0].peek()) {
        const last = this.heap.pop()!;
        if (this.heap.length === 0) break;
        this.heap[0] = last;
      }
      this.sink(0);
    }
  }

  private sink(i: number): void {
    const {heap} = this;
    for (;;) {
      const [left, right] = [2 * i + 1, 2 * i + 2];
      let least = i;
      if (left < heap.length && this.compare(heap[left].peek()!, heap[least].peek()!) < 0) least = left;
      if (right < heap.length && this.compare(heap[right].peek()!, heap[least].peek()!) < 0) least = right;
      if (least === i) return;
      [heap[i], heap[least]] = [heap[least], heap[i]];
      i = least;
    }
  }
}

/** `'name DESC'`-style order clauses, as the stock connector reads them. */
export function parseOrder(order: string | string[]): SortKey[] {
  return (typeof order === 'string' ? [order] : order).map(clause => {
    const direction = /\s+(A|DE)SC$/i.exec(clause);
    return {
      keyPath: clause.replace(/\s+(A|DE)SC/i, '').split('.'),
      direction: direction?.[1].toLowerCase() === 'de' ? -1 : 1,
    };
  });
}

/** Rows compared by the sort keys, values in the one order of the indexes (null and missing first). */
export function compareRows(a: Row, b: Row, sortKeys: SortKey[]): number {
  for (const {keyPath, direction} of sortKeys) {
    const order = compareValues(valueAt(a, keyPath), valueAt(b, keyPath));
    if (order !== 0) return order * direction;
  }
  return 0;
}

function valueAt(row: Row, keyPath: string[]): unknown {
  let value: unknown = row;
  for (const key of keyPath) {
    value = (value as Row)[key];
    if (value === null || value === undefined) return value;
  }
  return value;
}

/**
 * The stock filter for a where clause, with its and/or clauses compiled once
 * per query instead of once per row and clause (the stock filter builds
 * them anew for each row). Each other condition is the stock one's.
 */
export function compileWhere(where: Row): (row: Row) => boolean {
  if (typeof where !== 'object' || where === null) return applyFilter({where});
  const conditions = Object.entries(where).map(([key, condition]): ((row: Row) => boolean) => {
    if ((key === 'and' || key === 'or') && Array.isArray(condition)) {
      const clauses = (condition as Row[]).map(compileWhere);
      return key === 'and' ? row => clauses.every(clause => clause(row)) : row => clauses.some(clause => clause(row));
    }
    return compileCondition(key, condition);
  });
  return row => conditions.every(condition => condition(row));
}

/**
 * The stock filter for one condition. The conditions of access filters (a
 * property equal to a value, null or listed in `inq`) are tested on the
 * property directly, as the stock filter tests them but without splitting
 * the key and walking the path for each row. Array properties, matched
 * element by element, and every other condition go to the stock filter.
 */
function compileCondition(key: string, condition: unknown): (row: Row) => boolean {
  const stock = applyFilter({where: {[key]: condition}});
  const test = key.includes('.') ? undefined : valueTest(condition);
  if (!test) return stock;
  return row => {
    const value = row[key];
    return Array.isArray(value) ? stock(row) : test(value);
  };
}

/** The stock filter's test of a value against a condition, for the conditions it is written for here. */
function valueTest(condition: unknown): ((value: unknown) => boolean) | undefined {
  // The stock filter compares with == too.
  /* eslint-disable eqeqeq */
  if (condition === null || condition === undefined) return value => value == null;
  if (typeof condition === 'string' || typeof condition === 'number' || typeof condition === 'boolean') return value => condition == value;
  const listed = (condition as {inq?: unknown}).inq;
  if (Object.keys(condition).length !== 1 || !Array.isArray(listed)) return undefined;
  // A string equals (==) only the same string among strings.
  const strings = listed.every(item => typeof item === 'string') ? new Set<unknown>(listed) : undefined;
  return value => (strings && typeof value === 'string' ? strings.has(value) : listed.some(item => item == value));
  /* eslint-enable eqeqeq */
}

function isObject(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof RegExp);
}
