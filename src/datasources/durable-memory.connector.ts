import {HttpErrors} from '@loopback/rest';
import {closeSync, openSync, promises as fs, readFileSync, unlinkSync, writeSync} from 'node:fs';
import path from 'node:path';
import {
  applyFilter,
  FileTask,
  Memory,
  MemoryCallback,
  MemoryFilter,
} from 'loopback-datasource-juggler/lib/connectors/memory';
import {nearFilter} from 'loopback-datasource-juggler/lib/geo';
import {selectFields} from 'loopback-datasource-juggler/lib/utils';
import {duplicateKeyError, IndexDeclaration} from '../utils/duplicate-key.util';
import {peerError} from '../utils/api-error.util';

type Row = Record<string, unknown>;
interface ParsedRow {
  json: string;
  row: Row;
  stored?: Row;
}
interface SortKey {
  keyPath: string[];
  direction: 1 | -1;
}
/** A row a write would leave: its id (none yet for a create without one) and its value of each field. */
interface RowChange {
  id: unknown;
  valueOf(field: string): unknown;
}

/**
 * LoopBack's memory connector, persisted to its file the way a database
 * would: each snapshot is written to a temporary file, flushed to disk and
 * renamed over the previous one, so a crash leaves the old or the new
 * snapshot and never a truncated file. Writes queued while one is in flight
 * are folded into the next snapshot, since every snapshot holds everything.
 */
export class DurableMemory extends Memory {
  /**
   * Per model, each stored row parsed once per stored version (the stored
   * JSON text): typed as the connector types it (dates as Date), for filters
   * and sorting, and, once asked for, as stored (dates as the ISO strings
   * they serialise to), for shared readers.
   */
  private readonly parsedRows = new Map<string, Map<string, ParsedRow>>();

  private lockFile?: string;
  /** Disconnected: the API is stopping, and another process may take DATA_DIR now. */
  private closed = false;
  private readonly releaseOnExit = () => this.releaseLock();

  /**
   * Takes DATA_DIR for this process alone before loading it: two processes
   * on one embedded store would each write their own snapshot over the
   * other's. A lock left by a process that is gone is taken over.
   */
  override connect(callback: (err?: Error) => void): void {
    if (this.closed) {
      const closed = peerError('database', new HttpErrors.ServiceUnavailable('The embedded store is closed: the API is stopping'));
      process.nextTick(() => callback(closed));
      return;
    }
    try {
      this.takeLock();
    } catch (err) {
      process.nextTick(() => callback(err as Error));
      return;
    }
    super.connect(err => {
      // A store that could not be loaded is not in use.
      if (err) this.releaseLock();
      callback(err);
    });
  }

  /**
   * Waits for the snapshots still queued to be on disk, then releases
   * DATA_DIR; a write asked for after this fails instead of reaching a file
   * another process may hold by then.
   */
  disconnect(callback: (err?: Error | null) => void): void {
    this.closed = true;
    const flushed = this.fileQueue instanceof SnapshotQueue ? this.fileQueue.close() : Promise.resolve();
    flushed
      .then(() => {
        this.releaseLock();
        callback(null);
      })
      .catch(callback);
  }

  private takeLock(): void {
    if (this.lockFile) return;
    const file = `${this.settings.file!}.lock`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        this.lockFile = file;
        process.once('exit', this.releaseOnExit);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && isRunning(holder)) {
        throw new Error(
          `DATA_DIR is in use by another API process (pid ${holder}): two processes on one embedded store ` +
            'would lose each other\'s writes. Stop it first, or run several replicas on MongoDB (MONGO_URL).',
        );
      }
      // Left by a process that is gone.
      unlinkSync(file);
    }
    throw new Error('DATA_DIR could not be locked for this process');
  }

  private releaseLock(): void {
    if (!this.lockFile) return;
    try {
      unlinkSync(this.lockFile);
    } catch {
      // Gone already: nothing to release.
    }
    this.lockFile = undefined;
    process.removeListener('exit', this.releaseOnExit);
  }

  override setupFileQueue(): {push(task: FileTask): void} {
    this.fileQueue ??= new SnapshotQueue(this);
    return this.fileQueue;
  }

  /**
   * The stock query parses and sorts every stored row of the model for each
   * query, a lookup by id included: most of a request's time once there are
   * a few hundred rows. Same answers with less work: a lookup by id reads its
   * one row, filters and sorting read rows parsed once per stored version,
   * and only the rows answered are parsed afresh, since the juggler changes
   * the objects it is given. Filtering before a stable sort keeps the order
   * the stock sort-then-filter gives.
   */
  override _findAllSkippingIncludes(model: string, filter?: MemoryFilter): Row[] {
    if (!filter || nearFilter(filter.where)) return super._findAllSkippingIncludes(model, filter);
    const collection = this.collection(model);
    return this.query(model, filter, key => this.fromDb(model, collection[key]));
  }

  /**
   * With the `SHARED_ROWS` option the rows answered are frozen rows as
   * stored, dates as ISO strings, shared by every such reader: for readers
   * that only serialise them (JSON.stringify writes a string several times
   * faster than it converts a Date).
   */
  override all(
    model: string,
    filter: MemoryFilter | undefined,
    options: Record<string, unknown> | undefined,
    callback: (err: Error | null, rows?: Row[]) => void,
  ): void {
    if (!options?.[SHARED_ROWS] || !filter || filter.include || nearFilter(filter.where)) {
      super.all(model, filter, options, callback);
      return;
    }
    const collection = this.collection(model);
    const rows = this.query(model, filter, key => this.storedRow(model, key, collection[key]));
    process.nextTick(() => callback(null, rows));
  }

  /*
   * The unique indexes declared in model settings hold here as on MongoDB:
   * every write is checked against the stored rows and applied in the same
   * synchronous step (the connector runs one call at a time in this process),
   * so no other write comes between the check and the write. A refused write
   * changes nothing and answers MongoDB's duplicate key error (code 11000).
   */

  override _createSync(model: string, data: Row, callback: (err: Error | null, id?: unknown) => void): void {
    const refused = this.duplicateOf(model, () => [{id: this.getIdValue(model, data), valueOf: field => data[field]}]);
    if (refused) callback(refused);
    else super._createSync(model, data, callback);
  }

  /** Also the write of updateAttributes and of each row of updateAll: the stored row with `data` merged in. */
  override save(model: string, data: Row, options: object, callback: MemoryCallback): void {
    const id = this.getIdValue(model, data);
    const json = this.collection(model)[String(id)];
    const stored = json === undefined ? {} : this.parsedRow(model, String(id), json);
    const refused = this.duplicateOf(model, () => [{id, valueOf: field => (field in data ? data[field] : stored[field])}]);
    if (refused) process.nextTick(() => callback(refused));
    else super.save(model, data, options, callback);
  }

  /** All or nothing: refused when any updated row would collide with another row, updated or not. */
  override updateAll(model: string, where: Row | undefined, data: Row, options: object, callback: MemoryCallback): void {
    const refused = this.duplicateOf(model, () => {
      const collection = this.collection(model);
      return this.query(model, {where: where ?? {}}, key => this.parsedRow(model, key, collection[key])).map(row => ({
        id: this.getIdValue(model, row),
        valueOf: field => (field in data ? data[field] : row[field]),
      }));
    });
    if (refused) process.nextTick(() => callback(refused));
    else super.updateAll(model, where, data, options, callback);
  }

  override update(model: string, where: Row | undefined, data: Row, options: object, callback: MemoryCallback): void {
    this.updateAll(model, where, data, options, callback);
  }

  override replaceById(model: string, id: unknown, data: Row, options: object, callback: MemoryCallback): void {
    const refused = this.replacementRefused(model, id, data);
    if (refused) process.nextTick(() => callback(refused));
    else super.replaceById(model, id, data, options, callback);
  }

  /** A replacement of a stored row is checked here; a create is checked by _createSync. */
  override replaceOrCreate(model: string, data: Row, options: object, callback: MemoryCallback): void {
    const refused = this.replacementRefused(model, this.getIdValue(model, data), data);
    if (refused) process.nextTick(() => callback(refused));
    else super.replaceOrCreate(model, data, options, callback);
  }

  private replacementRefused(model: string, id: unknown, data: Row): Error | undefined {
    // No stored row: nothing is replaced, and the stock connector answers as it does.
    if (this.collection(model)[String(id)] === undefined) return undefined;
    return this.duplicateOf(model, () => [{id, valueOf: field => data[field]}]);
  }

  /**
   * The duplicate key error of the first unique index of the model that the
   * rows `changes` gives would break, against each other and the other stored
   * rows; undefined when they break none. A missing field counts as null, as
   * on MongoDB. `changes` is asked for only when the model has unique indexes.
   */
  private duplicateOf(model: string, changes: () => RowChange[]): Error | undefined {
    const indexes = uniqueIndexes(this._models[model]?.settings.indexes);
    if (indexes.length === 0) return undefined;
    const changed = changes();
    const replaced = new Set(changed.flatMap(({id}) => (id === undefined ? [] : [String(id)])));
    const collection = this.collection(model);
    for (const {name, fields} of indexes) {
      const taken = new Set<string>();
      for (const key of Object.keys(collection)) {
        if (replaced.has(key)) continue;
        const row = this.parsedRow(model, key, collection[key]);
        taken.add(indexKey(fields, field => row[field]));
      }
      for (const {valueOf} of changed) {
        const key = indexKey(fields, valueOf);
        if (taken.has(key)) return duplicateKeyError(model, name, Object.fromEntries(fields.map(field => [field, valueOf(field) ?? null])));
        taken.add(key);
      }
    }
    return undefined;
  }

  /**
   * The stock count parses every stored row of the model for each count, a
   * list's total included: this one matches the rows parsed once per stored
   * version, with the filter queries use.
   */
  override count(
    model: string,
    where: Row | undefined,
    options: Record<string, unknown> | undefined,
    callback: (err: Error | null, count?: number) => void,
  ): void {
    const count = this.matchingRows(model, where).length;
    process.nextTick(() => callback(null, count));
  }

  private query(model: string, filter: MemoryFilter, answer: (key: string) => Row): Row[] {
    const rows = this.matchingRows(model, filter.where);
    const sortKeys = parseOrder(filter.order ?? this.idNames(model));
    if (sortKeys.length > 0) rows.sort((a, b) => compareRows(a.row, b.row, sortKeys));
    // A zero skip or limit counts as none, as in the stock connector.
    // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
    const skip = filter.skip || filter.offset || 0;
    // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
    const limit = filter.limit || rows.length;
    const answered = rows.slice(skip, skip + limit).map(({key}) => answer(key));
    return filter.fields ? answered.map(selectFields(filter.fields)) : answered;
  }

  /** The rows matching the where clause, with their keys in the collection, in stored order. */
  private matchingRows(model: string, where: Row | undefined): Array<{key: string; row: Row}> {
    const collection = this.collection(model);
    const id = lookedUpId(where, this.idNames(model));
    const keys = id === undefined ? Object.keys(collection) : id in collection ? [id] : [];
    const matches = where ? compileWhere(where) : () => true;
    const rows: Array<{key: string; row: Row}> = [];
    for (const key of keys) {
      const row = this.parsedRow(model, key, collection[key]);
      if (matches(row)) rows.push({key, row});
    }
    if (id === undefined) this.forgetRemovedRows(model, collection, keys.length);
    return rows;
  }

  private parsedRow(model: string, key: string, json: string): Row {
    return this.cachedRow(model, key, json).row;
  }

  private storedRow(model: string, key: string, json: string): Row {
    const cached = this.cachedRow(model, key, json);
    cached.stored ??= deepFreeze(JSON.parse(json) as Row);
    return cached.stored;
  }

  private cachedRow(model: string, key: string, json: string): ParsedRow {
    let rows = this.parsedRows.get(model);
    if (!rows) this.parsedRows.set(model, (rows = new Map()));
    let cached = rows.get(key);
    if (cached?.json !== json) {
      cached = {json, row: deepFreeze(this.fromDb(model, json))};
      rows.set(key, cached);
    }
    return cached;
  }

  private forgetRemovedRows(model: string, collection: Record<string, string>, stored: number): void {
    const rows = this.parsedRows.get(model);
    if (!rows || rows.size <= stored) return;
    for (const key of rows.keys()) if (!(key in collection)) rows.delete(key);
  }
}

/** The `all()` option asking for the store's own frozen rows as stored instead of copies. */
export const SHARED_ROWS = 'sharedRows';

/** The unique indexes of `indexes: {name: {keys, options: {unique: true}}}` in model settings, with their fields. */
function uniqueIndexes(declared: unknown): Array<{name: string; fields: string[]}> {
  return Object.entries((declared ?? {}) as Record<string, IndexDeclaration>)
    .filter(([, index]) => index.options?.unique === true && index.keys)
    .map(([name, index]) => ({name, fields: Object.keys(index.keys!)}));
}

/** The values of an index's fields as one comparable string: dates as their ISO text, whether stored or given. */
function indexKey(fields: string[], valueOf: (field: string) => unknown): string {
  return JSON.stringify(fields.map(field => valueOf(field) ?? null));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const nested of Object.values(value)) deepFreeze(nested);
  }
  return value;
}

/**
 * The stock filter for a where clause, with its and/or clauses compiled once
 * per query instead of once per row and clause (the stock filter builds
 * them anew for each row). Each other condition is the stock one's.
 */
function compileWhere(where: Row): (row: Row) => boolean {
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
 * the key and walking the path for each row: most of a count's time over
 * thousands of rows. Array properties, matched element by element, and
 * every other condition go to the stock filter.
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

/** The id a where clause of the form {id: value} looks up, as the collection's key. */
function lookedUpId(where: Row | undefined, idNames: string[]): string | undefined {
  if (!where || idNames.length !== 1) return undefined;
  const keys = Object.keys(where);
  if (keys.length !== 1 || keys[0] !== idNames[0]) return undefined;
  const value = where[keys[0]];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** `'name DESC'`-style order clauses, as the stock connector reads them. */
function parseOrder(order: string | string[]): SortKey[] {
  return (typeof order === 'string' ? [order] : order).map(clause => {
    const direction = /\s+(A|DE)SC$/i.exec(clause);
    return {
      keyPath: clause.replace(/\s+(A|DE)SC/i, '').split('.'),
      direction: direction?.[1].toLowerCase() === 'de' ? -1 : 1,
    };
  });
}

/** The stock connector's comparison: an undefined value sorts before any defined one. */
function compareRows(a: Row, b: Row, sortKeys: SortKey[]): number {
  for (const {keyPath, direction} of sortKeys) {
    const left = valueAt(a, keyPath) as string | number;
    const right = valueAt(b, keyPath) as string | number;
    if ((right === undefined && left !== undefined) || left > right) return direction;
    if ((left === undefined && right !== undefined) || left < right) return -direction;
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

interface Batch {
  tasks: FileTask[];
  /** Set when an earlier snapshot failed and undid the changes this batch was to save. */
  undone?: Error;
}

class SnapshotQueue {
  private tail: Promise<void> = Promise.resolve();
  private nextWrite?: Batch;
  /** The last snapshot on disk: what memory goes back to when a save fails. */
  private saved?: string;
  private closed = false;

  constructor(private readonly connector: DurableMemory) {}

  /** Refuses further writes; resolves once every queued one is on disk (or failed). */
  close(): Promise<void> {
    this.closed = true;
    return this.tail.catch(() => undefined);
  }

  push(task: FileTask): void {
    if (this.closed && task.operation !== 'read') {
      const refused = peerError(
        'database',
        new HttpErrors.ServiceUnavailable('The API is stopping: its embedded store takes no more changes'),
      );
      process.nextTick(() => task.callback?.(refused, task.data));
      return;
    }
    if (task.operation === 'read') {
      this.enqueue(() => this.read(task));
      return;
    }
    if (this.nextWrite) {
      this.nextWrite.tasks.push(task);
      return;
    }
    const batch: Batch = {tasks: [task]};
    this.nextWrite = batch;
    this.enqueue(async () => {
      if (this.nextWrite === batch) this.nextWrite = undefined;
      let failure = batch.undone;
      if (!failure) {
        try {
          await this.writeSnapshot();
        } catch (err) {
          failure = this.undo(err as NodeJS.ErrnoException);
        }
      }
      for (const queued of batch.tasks) queued.callback?.(failure, queued.data);
    });
  }

  /**
   * A snapshot that could not be written: memory goes back to the last one
   * on disk, so what the caller is told failed is not seen by later reads nor
   * saved by a later write; changes made meanwhile are undone with it and
   * fail too.
   */
  private undo(err: NodeJS.ErrnoException): Error {
    if (this.saved !== undefined) {
      const {ids, models} = JSON.parse(this.saved) as {ids: DurableMemory['ids']; models: DurableMemory['cache']};
      this.connector.ids = ids;
      this.connector.cache = models;
    }
    const failure = peerError('database', new HttpErrors.ServiceUnavailable(
      `Storage unavailable: the API's database in DATA_DIR could not be saved (${err.code ?? err.message}); ` +
        'nothing was changed. An operator must make DATA_DIR writable.',
    ));
    if (this.nextWrite) {
      this.nextWrite.undone = failure;
      this.nextWrite = undefined;
    }
    return failure;
  }

  private enqueue(job: () => Promise<void>): void {
    this.tail = this.tail.then(job, job);
  }

  private async read(task: FileTask): Promise<void> {
    let data: string | undefined;
    try {
      data = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        task.callback?.(err as Error);
        return;
      }
    }
    await new Promise<void>(resolve =>
      this.connector.parseAndLoad(data, err => {
        if (!err) this.saved = JSON.stringify({ids: this.connector.ids, models: this.connector.cache});
        task.callback?.(
          err &&
            new Error(`The data file ${this.file} is not valid JSON: ${err.message}`),
        );
        resolve();
      }),
    );
  }

  private async writeSnapshot(): Promise<void> {
    const snapshot = JSON.stringify({
      ids: this.connector.ids,
      models: this.connector.cache,
    });
    const temporary = path.join(
      path.dirname(this.file),
      `.${path.basename(this.file)}.${process.pid}.tmp`,
    );
    try {
      const handle = await fs.open(temporary, 'w', 0o600);
      try {
        await handle.writeFile(snapshot, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temporary, this.file);
    } catch (err) {
      await fs.unlink(temporary).catch(() => undefined);
      throw err;
    }
    this.saved = snapshot;
  }

  private get file(): string {
    return this.connector.settings.file!;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Entry point the juggler calls for a connector given as a module object. */
export function initialize(
  dataSource: {
    settings: object;
    connector?: unknown;
    connect(callback?: (err?: Error) => void): void;
  },
  callback?: (err?: Error) => void,
): void {
  dataSource.connector = new DurableMemory(null, dataSource.settings);
  // Connecting through the data source lets the juggler track the state, as the stock connector does.
  dataSource.connect(callback);
}
