type Row = Record<string, unknown>;

/** A stored row as the embedded store holds it, one object per stored version. */
export interface StoredRow {
  /** Its key in the connector's collection. */
  readonly key: string;
  /** The stored JSON text of this version. */
  readonly json: string;
  /** Typed as the connector types rows (dates as Date) and frozen: what filters, sorting and indexes read. */
  readonly row: Row;
  /** As stored (dates as their ISO strings) and frozen, for readers that only serialise; made when first asked for. */
  stored?: Row;
}

export interface IndexKey {
  field: string;
  direction: 1 | -1;
}

/** One bound of a range on the index key after an equality prefix. */
export interface Bound {
  value: unknown;
  inclusive: boolean;
}

/** A row of a multikey index: one per distinct element of the row's array. */
interface Element {
  entry: StoredRow;
  element: unknown;
}
type Item = StoredRow | Element;

/**
 * The edge of a type's values in the order below (`side` -1 before all of
 * them, 1 after): bounds a range to the values of its bound's type, as
 * comparisons between values of different types never match.
 */
class TypeEdge {
  constructor(readonly rank: number, readonly side: -1 | 1) {}
}

/**
 * One total order over the values rows hold, MongoDB's between types:
 * null and missing first, then numbers, strings, objects and arrays,
 * booleans, dates. Within a type, by value (NaN and invalid dates first).
 */
export function compareValues(a: unknown, b: unknown): number {
  const rankA = rankOf(a);
  const rankB = rankOf(b);
  if (rankA !== rankB) return rankA - rankB;
  if (a instanceof TypeEdge || b instanceof TypeEdge) {
    if (a instanceof TypeEdge && b instanceof TypeEdge) return a.side - b.side;
    return a instanceof TypeEdge ? a.side : -(b as TypeEdge).side;
  }
  switch (rankA) {
    case NULL:
      return 0;
    case NUMBER:
      return compareNumbers(a as number, b as number);
    case STRING:
      return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
    case BOOLEAN:
      return Number(a) - Number(b);
    case DATE:
      return compareNumbers((a as Date).getTime(), (b as Date).getTime());
    default: {
      const [left, right] = [JSON.stringify(a), JSON.stringify(b)];
      return left === right ? 0 : left < right ? -1 : 1;
    }
  }
}

const NULL = 0;
const NUMBER = 1;
const STRING = 2;
const OBJECT = 3;
const BOOLEAN = 4;
const DATE = 5;

function rankOf(value: unknown): number {
  if (value === null || value === undefined) return NULL;
  switch (typeof value) {
    case 'number':
      return NUMBER;
    case 'string':
      return STRING;
    case 'boolean':
      return BOOLEAN;
    default:
      if (value instanceof TypeEdge) return value.rank;
      return value instanceof Date ? DATE : OBJECT;
  }
}

function compareNumbers(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : -1) : 1;
}

/**
 * An index of the embedded store: the rows of one model sorted by the
 * index's keys and then by id, kept sorted on every write (binary search
 * and one splice), so that the rows with given values of its leading keys,
 * or a range of the next key, are one contiguous run, in the order of the
 * keys after them. A key over an array property (`multikey`, at most one
 * per index, as on MongoDB) holds a row once per distinct element; an empty
 * or missing array counts as null.
 */
export class SortedIndex {
  readonly keys: IndexKey[];
  /** Which key is over an array property, or -1. */
  readonly multikeyAt: number;
  private items: Item[] = [];

  constructor(readonly name: string, keys: IndexKey[], idName: string, multikeyField?: string) {
    // Ties are broken by id, so every row has one place and a run is in a total order.
    this.keys = keys[keys.length - 1]?.field === idName ? keys : [...keys, {field: idName, direction: 1}];
    this.multikeyAt = multikeyField === undefined ? -1 : this.keys.findIndex(key => key.field === multikeyField);
  }

  get size(): number {
    return this.items.length;
  }

  /** The row at a position. */
  at(position: number): StoredRow {
    return this.entryOf(this.items[position]);
  }

  /** Replaces the contents with these rows. */
  build(entries: Iterable<StoredRow>): void {
    const items: Item[] = [];
    for (const entry of entries) items.push(...this.itemsOf(entry));
    this.items = items.sort((a, b) => this.compareItems(a, b));
  }

  insert(entry: StoredRow): void {
    for (const item of this.itemsOf(entry)) {
      this.items.splice(this.bound(this.keyOf(item), true), 0, item);
    }
  }

  remove(entry: StoredRow): void {
    for (const item of this.itemsOf(entry)) {
      // A row's values are frozen: it is where its key says.
      const position = this.bound(this.keyOf(item), false);
      if (this.entryOf(this.items[position]) === entry) this.items.splice(position, 1);
    }
  }

  /**
   * The positions [from, to) of the rows whose leading keys equal `prefix`
   * and whose next key is within `lower` and `upper` (of the bounds' type;
   * either may be absent).
   */
  range(prefix: unknown[], lower?: Bound, upper?: Bound): [number, number] {
    if (!lower && !upper) return [this.bound(prefix, false), this.bound(prefix, true)];
    const edgeOf = (bound: Bound, side: -1 | 1): Bound => ({value: new TypeEdge(rankOf(bound.value), side), inclusive: true});
    const low = lower ?? edgeOf(upper!, -1);
    const high = upper ?? edgeOf(lower!, 1);
    // On a descending key the highest values come first.
    const [first, last] = this.keys[prefix.length].direction === 1 ? [low, high] : [high, low];
    return [this.bound([...prefix, first.value], !first.inclusive), this.bound([...prefix, last.value], last.inclusive)];
  }

  /**
   * The first position whose leading keys compare after `probe` (`after`)
   * or not before it.
   */
  private bound(probe: unknown[], after: boolean): number {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const order = this.compareToProbe(this.items[middle], probe);
      if (order < 0 || (after && order === 0)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private compareToProbe(item: Item, probe: unknown[]): number {
    for (let i = 0; i < probe.length; i++) {
      const order = compareValues(this.valueAt(item, i), probe[i]);
      if (order !== 0) return order * this.keys[i].direction;
    }
    return 0;
  }

  private compareItems(a: Item, b: Item): number {
    for (let i = 0; i < this.keys.length; i++) {
      const order = compareValues(this.valueAt(a, i), this.valueAt(b, i));
      if (order !== 0) return order * this.keys[i].direction;
    }
    return 0;
  }

  private keyOf(item: Item): unknown[] {
    return this.keys.map((_, i) => this.valueAt(item, i));
  }

  private valueAt(item: Item, i: number): unknown {
    return i === this.multikeyAt ? (item as Element).element : this.entryOf(item).row[this.keys[i].field];
  }

  private entryOf(item: Item): StoredRow {
    return this.multikeyAt < 0 ? (item as StoredRow) : (item as Element).entry;
  }

  private itemsOf(entry: StoredRow): Item[] {
    if (this.multikeyAt < 0) return [entry];
    const value = entry.row[this.keys[this.multikeyAt].field];
    const elements = Array.isArray(value) && value.length > 0 ? [...new Set<unknown>(value)] : [Array.isArray(value) ? null : value];
    return elements.map(element => ({entry, element}));
  }
}
