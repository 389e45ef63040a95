import {HttpErrors} from '@loopback/rest';
import {closeSync, openSync, promises as fs, readFileSync, unlinkSync, writeSync} from 'node:fs';
import path from 'node:path';
import {FileTask, Memory, MemoryCallback, MemoryFilter} from 'loopback-datasource-juggler/lib/connectors/memory';
import {nearFilter} from 'loopback-datasource-juggler/lib/geo';
import {selectFields} from 'loopback-datasource-juggler/lib/utils';
import {duplicateKeyError, IndexDeclaration} from '../utils/duplicate-key.util';
import {peerError} from '../utils/api-error.util';
import {compareRows, compileWhere, countRows, findRows, IndexedRows, parseOrder, SortKey, ValueType} from './query-planner';
import {IndexKey, SortedIndex, StoredRow} from './sorted-index';

type Row = Record<string, unknown>;
/** Per model, per changed row, its stored JSON before its first change (undefined: it was not there). */
type UnsavedRows = Map<string, Map<string, string | undefined>>;
type PropertyDefinition = {type?: unknown; jsonSchema?: {type?: unknown; items?: {type?: unknown}}};

/**
 * One model's rows, each parsed once per stored version, and its indexes:
 * by id, and each index its model settings declare (the ones MongoDB
 * creates). Kept in step with the model's collection by every write.
 */
class ModelRows implements IndexedRows {
  private readonly rows = new Map<string, StoredRow>();
  readonly indexes: SortedIndex[];

  constructor(
    readonly idName: string,
    private readonly types: Map<string, ValueType>,
    indexes: SortedIndex[],
    entries: StoredRow[],
  ) {
    for (const entry of entries) this.rows.set(entry.key, entry);
    this.indexes = indexes;
    for (const index of indexes) index.build(entries);
  }

  get size(): number {
    return this.rows.size;
  }

  get(key: string): StoredRow | undefined {
    return this.rows.get(key);
  }

  valueType(field: string): ValueType | undefined {
    return this.types.get(field);
  }

  index(name: string): SortedIndex | undefined {
    return this.indexes.find(index => index.name === name);
  }

  add(entry: StoredRow): void {
    this.rows.set(entry.key, entry);
    for (const index of this.indexes) index.insert(entry);
  }

  remove(entry: StoredRow): void {
    this.rows.delete(entry.key);
    for (const index of this.indexes) index.remove(entry);
  }
}

/** The name of the index by id every model has. */
const PRIMARY_INDEX = '_id_';

/**
 * LoopBack's memory connector, persisted to its file the way a database
 * would: each snapshot is written to a temporary file, flushed to disk and
 * renamed over the previous one, so a crash leaves the old or the new
 * snapshot and never a truncated file. Writes queued while one is in flight
 * are folded into the next snapshot, since every snapshot holds everything.
 *
 * Queries and counts are answered from indexes (see query-planner), kept
 * sorted on every write: a page costs about the rows it answers, not the
 * rows stored.
 */
export class DurableMemory extends Memory {
  /** Per model, its rows and indexes; made from the collection when first used, then kept by every write. */
  private readonly modelRows = new Map<string, ModelRows>();
  /** The rows changed since the last snapshot was taken: what a snapshot that cannot be saved must undo. */
  private unsaved: UnsavedRows = new Map();

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

  /** Loading replaces every collection: the rows and indexes are made anew from them. */
  override parseAndLoad(data: string | undefined, callback: (err?: Error) => void): void {
    super.parseAndLoad(data, err => {
      this.modelRows.clear();
      this.unsaved = new Map();
      callback(err);
    });
  }

  /** The rows changed since the last call (for the snapshot being taken); later changes are collected anew. */
  takeUnsaved(): UnsavedRows {
    const taken = this.unsaved;
    this.unsaved = new Map();
    return taken;
  }

  /**
   * Back to the last snapshot on disk, when the next one could not be
   * saved: every row changed since (those `taken` for that snapshot, and
   * those changed while it was being written) as it was then, and the ids.
   */
  undoUnsaved(ids: Memory['ids'], taken: UnsavedRows): void {
    // The earlier value of a row changed in both is the one on disk: applied last.
    for (const changes of [this.unsaved, taken]) {
      for (const [model, rows] of changes) {
        const collection = this.collection(model);
        for (const [key, before] of rows) {
          if (before === undefined) delete collection[key];
          else collection[key] = before;
        }
      }
    }
    this.ids = ids;
    this.unsaved = new Map();
    this.modelRows.clear();
  }

  /** A collection replaced as a whole (created, or emptied) gets its rows and indexes anew. */
  override collection(model: string, value?: Record<string, string>): Record<string, string> {
    if (value === undefined) return super.collection(model);
    this.modelRows.delete(model);
    return super.collection(model, value);
  }

  /**
   * Same answers as the stock query, from the indexes; a lookup by id reads
   * its one row. Only the rows answered are parsed afresh, since the juggler
   * changes the objects it is given.
   */
  override _findAllSkippingIncludes(model: string, filter?: MemoryFilter): Row[] {
    if (!filter || nearFilter(filter.where)) return super._findAllSkippingIncludes(model, filter);
    return this.query(model, filter, entry => this.fromDb(model, entry.json));
  }

  /**
   * With the `SHARED_ROWS` option the rows answered are the store's own
   * frozen rows, dates as ISO strings, shared by every such reader: for
   * readers that only serialise them (JSON.stringify writes a string several
   * times faster than it converts a Date).
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
    const rows = this.query(model, filter, storedRow);
    process.nextTick(() => callback(null, rows));
  }

  /** Counted from the indexes, with the filter queries use. */
  override count(
    model: string,
    where: Row | undefined,
    options: Record<string, unknown> | undefined,
    callback: (err: Error | null, count?: number) => void,
  ): void {
    const count = countRows(this.rowsOf(model), where);
    process.nextTick(() => callback(null, count));
  }

  /*
   * Every write below changes the collection as the stock connector does,
   * then the model's rows and indexes. The unique indexes declared in model
   * settings hold here as on MongoDB: every write is checked against the
   * stored rows and applied in the same synchronous step (the connector runs
   * one call at a time in this process), so no other write comes between
   * the check and the write. A refused write changes nothing and answers
   * MongoDB's duplicate key error (code 11000).
   */

  override _createSync(model: string, data: Row, callback: (err: Error | null, id?: unknown) => void): void {
    const refused = this.duplicateOf(model, () => [{id: this.getIdValue(model, data), row: data}]);
    if (refused) {
      callback(refused);
      return;
    }
    // A create of a stored id is refused: a created row was not there before.
    super._createSync(model, data, (err, id) => {
      if (!err) this.rowWritten(model, String(id), undefined);
      callback(err, id);
    });
  }

  /** Also the write of updateAttributes and of each row of updateAll: the stored row with `data` merged in. */
  override save(model: string, data: Row, options: object, callback: MemoryCallback): void {
    const id = this.getIdValue(model, data);
    const stored = this.rowsOf(model).get(String(id));
    const refused = this.duplicateOf(model, () => [{id, row: {...stored?.row, ...ownAndInherited(data)}}]);
    if (refused) {
      process.nextTick(() => callback(refused));
      return;
    }
    super.save(model, data, options, callback);
    this.rowWritten(model, String(id), stored?.json);
  }

  /** All or nothing: refused when any updated row would collide with another row, updated or not. */
  override updateAll(model: string, where: Row | undefined, data: Row, options: object, callback: MemoryCallback): void {
    const matching = this.indexedMatches(model, where);
    const refused = this.duplicateOf(model, () => matching.map(({row}) => ({id: this.getIdValue(model, row), row: {...row, ...data}})));
    if (refused) {
      process.nextTick(() => callback(refused));
      return;
    }
    let pending = matching.length;
    let failed = false;
    const done = () => this.saveToFile({count: matching.length}, callback);
    if (pending === 0) done();
    for (const {row} of matching) {
      this.updateAttributes(model, this.getIdValue(model, row), data, options, err => {
        if (failed) return;
        if (err) {
          failed = true;
          callback(err);
        } else if (--pending === 0) done();
      });
    }
  }

  override update(model: string, where: Row | undefined, data: Row, options: object, callback: MemoryCallback): void {
    this.updateAll(model, where, data, options, callback);
  }

  override replaceById(model: string, id: unknown, data: Row, options: object, callback: MemoryCallback): void {
    const refused = this.replacementRefused(model, id, data);
    if (refused) {
      process.nextTick(() => callback(refused));
      return;
    }
    const before = this.collection(model)?.[String(id)];
    super.replaceById(model, id, data, options, callback);
    this.rowWritten(model, String(id), before);
  }

  /** A replacement of a stored row is checked here; a create is checked by _createSync. */
  override replaceOrCreate(model: string, data: Row, options: object, callback: MemoryCallback): void {
    const id = this.getIdValue(model, data);
    const refused = this.replacementRefused(model, id, data);
    if (refused) {
      process.nextTick(() => callback(refused));
      return;
    }
    const before = this.collection(model)?.[String(id)];
    super.replaceOrCreate(model, data, options, callback);
    this.rowWritten(model, String(id), before);
  }

  override destroy(model: string, id: unknown, options: object, callback: MemoryCallback): void {
    const before = this.collection(model)?.[String(id)];
    super.destroy(model, id, options, callback);
    this.rowWritten(model, String(id), before);
  }

  /** The rows matching `where` (all without one) found from the indexes, not by parsing every row. */
  override destroyAll(model: string, where: Row | undefined, options: object, callback: MemoryCallback): void {
    const collection = this.collection(model);
    const matching = this.indexedMatches(model, where);
    for (const {key, json} of matching) {
      delete collection[key];
      this.rowWritten(model, key, json);
    }
    this.saveToFile({count: matching.length}, callback);
  }

  private replacementRefused(model: string, id: unknown, data: Row): Error | undefined {
    // No stored row: nothing is replaced, and the stock connector answers as it does.
    if (this.rowsOf(model).get(String(id)) === undefined) return undefined;
    return this.duplicateOf(model, () => [{id, row: data}]);
  }

  /**
   * The duplicate key error of the first unique index of the model that the
   * rows `changes` gives would break, against each other and the other stored
   * rows; undefined when they break none. A missing field counts as null, as
   * on MongoDB. `changes` is asked for only when the model has unique indexes.
   */
  private duplicateOf(model: string, changes: () => Array<{id: unknown; row: Row}>): Error | undefined {
    const unique = uniqueIndexes(this._models[model]?.settings.indexes);
    if (unique.length === 0) return undefined;
    const rows = this.rowsOf(model);
    // Each row as it would be stored, typed as stored rows are.
    const changed = changes().map(({id, row}) => ({id, row: this.fromDb(model, JSON.stringify(row))}));
    const replaced = new Set(changed.flatMap(({id}) => (id === undefined ? [] : [String(id)])));
    for (const {name, fields} of unique) {
      const index = rows.index(name)!;
      const claimed = new Set<string>();
      for (const {row} of changed) {
        const values = fields.map(field => row[field] ?? null);
        const key = JSON.stringify(values);
        const [from, to] = index.range(values);
        let taken = claimed.has(key);
        for (let position = from; !taken && position < to; position++) taken = !replaced.has(index.at(position).key);
        if (taken) return duplicateKeyError(model, name, Object.fromEntries(fields.map((field, i) => [field, values[i]])));
        claimed.add(key);
      }
    }
    return undefined;
  }

  private query(model: string, filter: MemoryFilter, answer: (entry: StoredRow) => Row): Row[] {
    const rows = this.rowsOf(model);
    const order = parseOrder(filter.order ?? this.idNames(model));
    // A zero skip or limit counts as none, as in the stock connector.
    // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
    const skip = filter.skip || filter.offset || 0;
    // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing
    const limit = filter.limit || undefined;
    const found = findRows(rows, {where: filter.where, order, skip, limit}) ?? this.sortedScan(model, filter.where, order, skip, limit);
    const answered = found.map(answer);
    return filter.fields ? answered.map(selectFields(filter.fields)) : answered;
  }

  /**
   * An order the indexes cannot serve (no id key to break ties): every row
   * tested, and sorted as the stock connector sorts, ties in stored order.
   */
  private sortedScan(model: string, where: Row | undefined, order: SortKey[], skip: number, limit?: number): StoredRow[] {
    const matching = this.matchingRows(model, where);
    if (order.length > 0) matching.sort((a, b) => compareRows(a.row, b.row, order));
    return matching.slice(skip, limit === undefined ? undefined : skip + limit);
  }

  /** The rows matching the where clause, found from the indexes (in id order). */
  private indexedMatches(model: string, where: Row | undefined): StoredRow[] {
    return findRows(this.rowsOf(model), {where, order: [{keyPath: this.idNames(model), direction: 1}], skip: 0})!;
  }

  /** The rows matching the where clause, every one tested, in stored order. */
  private matchingRows(model: string, where: Row | undefined): StoredRow[] {
    const rows = this.rowsOf(model);
    const matches = where ? compileWhere(where) : () => true;
    // A model the loaded file has no rows of has no collection until its first write.
    const keys = Object.keys(this.collection(model) ?? {});
    return keys.flatMap(key => {
      const entry = rows.get(key)!;
      return matches(entry.row) ? [entry] : [];
    });
  }

  private rowsOf(model: string): ModelRows {
    let rows = this.modelRows.get(model);
    if (!rows) {
      const collection = this.collection(model) ?? {};
      const entries = Object.keys(collection).map(key => this.entryOf(model, key, collection[key]));
      rows = new ModelRows(this.idNames(model)[0], ...this.indexDefinitions(model), entries);
      this.modelRows.set(model, rows);
    }
    return rows;
  }

  /** The model's property types that indexes look up, and its indexes (empty). */
  private indexDefinitions(model: string): [Map<string, ValueType>, SortedIndex[]] {
    const {properties, settings} = this._models[model];
    const idName = this.idNames(model)[0];
    const types = new Map<string, ValueType>();
    const arrays = new Set<string>();
    for (const [field, property] of Object.entries(properties as Record<string, PropertyDefinition>)) {
      const typed = valueTypeOf(property);
      if (typed) types.set(field, typed.type);
      if (typed?.array) arrays.add(field);
    }
    const indexes = [new SortedIndex(PRIMARY_INDEX, [{field: idName, direction: 1}], idName)];
    for (const [name, declared] of Object.entries((settings.indexes ?? {}) as Record<string, IndexDeclaration>)) {
      const keys = Object.entries(declared.keys ?? {}).map(([field, direction]): IndexKey => ({field, direction: direction === -1 ? -1 : 1}));
      if (keys.length === 0) continue;
      indexes.push(new SortedIndex(name, keys, idName, keys.find(({field}) => arrays.has(field))?.field));
    }
    return [types, indexes];
  }

  private entryOf(model: string, key: string, json: string): StoredRow {
    return {key, json, row: deepFreeze(this.fromDb(model, json))};
  }

  /**
   * The collection's row `key` was written or removed (stored as `before`
   * until then): the change is noted for the next snapshot, and the rows and
   * indexes follow.
   */
  private rowWritten(model: string, key: string, before: string | undefined): void {
    const json = this.collection(model)?.[key];
    if (json === before) return;
    let unsaved = this.unsaved.get(model);
    if (!unsaved) this.unsaved.set(model, (unsaved = new Map()));
    if (!unsaved.has(key)) unsaved.set(key, before);
    const rows = this.modelRows.get(model);
    // Not made yet: made from the collection when first used.
    if (!rows) return;
    const previous = rows.get(key);
    if (previous?.json === json) return;
    if (previous) rows.remove(previous);
    if (json !== undefined) rows.add(this.entryOf(model, key, json));
  }
}

/** The `all()` option asking for the store's own frozen rows as stored instead of copies. */
export const SHARED_ROWS = 'sharedRows';

/** A row for shared readers: its dates as the ISO strings they serialise to; the typed row itself when it has none. */
function storedRow(entry: StoredRow): Row {
  if (!entry.stored) {
    const hasDates = Object.values(entry.row).some(value => value instanceof Date);
    entry.stored = hasDates
      ? Object.freeze(Object.fromEntries(Object.entries(entry.row).map(([field, value]) => [field, value instanceof Date ? value.toJSON() : value])))
      : entry.row;
  }
  return entry.stored;
}

/** What an index looks up in a property: the type of its values, or of its elements (`array`). */
function valueTypeOf({type, jsonSchema}: PropertyDefinition): {type: ValueType; array: boolean} | undefined {
  const scalar = (declared: unknown): ValueType | undefined => {
    switch (declared) {
      case String:
      case 'string':
        return 'string';
      case Number:
      case 'number':
        return 'number';
      case Boolean:
      case 'boolean':
        return 'boolean';
      case Date:
        return 'date';
      default:
        return undefined;
    }
  };
  if (Array.isArray(type)) {
    const element = scalar(type[0]);
    return element && {type: element, array: true};
  }
  // Arrays declared as `any` with their JSON schema (the juggler then leaves them as they are).
  if (jsonSchema?.type === 'array') {
    const element = scalar(jsonSchema.items?.type);
    return element && {type: element, array: true};
  }
  const value = scalar(type);
  return value && {type: value, array: false};
}

/** The unique indexes of `indexes: {name: {keys, options: {unique: true}}}` in model settings, with their fields. */
function uniqueIndexes(declared: unknown): Array<{name: string; fields: string[]}> {
  return Object.entries((declared ?? {}) as Record<string, IndexDeclaration>)
    .filter(([, index]) => index.options?.unique === true && index.keys)
    .map(([name, index]) => ({name, fields: Object.keys(index.keys!)}));
}

/** The properties an update's data gives, its prototype's included (updateAttributes hands a data object inheriting them). */
function ownAndInherited(data: Row): Row {
  const all: Row = {};
  for (const field in data) all[field] = data[field];
  return all;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const nested of Object.values(value)) deepFreeze(nested);
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
  /** The ids of the last snapshot on disk, which memory goes back to (with the rows changed since) when a save fails. */
  private savedIds?: string;
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
          failure = this.failed(err as NodeJS.ErrnoException);
        }
      }
      for (const queued of batch.tasks) queued.callback?.(failure, queued.data);
    });
  }

  /**
   * A snapshot that could not be written (memory went back to the last one
   * on disk, so that what the caller is told failed is not seen by later
   * reads nor saved by a later write): the error its writes and those made
   * meanwhile, undone with it, fail with.
   */
  private failed(err: NodeJS.ErrnoException): Error {
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
        if (!err) this.savedIds = JSON.stringify(this.connector.ids);
        task.callback?.(
          err &&
            new Error(`The data file ${this.file} is not valid JSON: ${err.message}`),
        );
        resolve();
      }),
    );
  }

  private async writeSnapshot(): Promise<void> {
    const ids = JSON.stringify(this.connector.ids);
    const snapshot = `{"ids":${ids},"models":${JSON.stringify(this.connector.cache)}}`;
    const changes = this.connector.takeUnsaved();
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
      this.connector.undoUnsaved(JSON.parse(this.savedIds!) as DurableMemory['ids'], changes);
      throw err;
    }
    this.savedIds = ids;
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
