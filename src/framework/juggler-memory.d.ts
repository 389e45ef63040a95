// The juggler ships its memory connector without type declarations.
declare module 'loopback-datasource-juggler/lib/connectors/memory' {
  export interface FileTask {
    operation: 'read' | 'write';
    data?: unknown;
    callback?: (err?: Error | null, data?: unknown) => void;
  }
  export class Memory {
    constructor(m: unknown, settings: object);
    settings: {file?: string};
    ids: Record<string, number>;
    cache: Record<string, Record<string, string>>;
    fileQueue?: {push(task: FileTask): void};
    parseAndLoad(data: string | undefined, callback: (err?: Error) => void): void;
    connect(callback: (err?: Error) => void): void;
    setupFileQueue(): {push(task: FileTask): void};
    collection(model: string, value?: Record<string, string>): Record<string, string>;
    idNames(model: string): string[];
    fromDb(model: string, data: string): Record<string, unknown>;
    _models: Record<string, {settings: {indexes?: unknown}; properties: Record<string, unknown>}>;
    getIdValue(model: string, data: object): unknown;
    _createSync(model: string, data: Record<string, unknown>, callback: (err: Error | null, id?: unknown) => void): void;
    save(model: string, data: Record<string, unknown>, options: object, callback: MemoryCallback): void;
    saveToFile(result: unknown, callback: MemoryCallback): void;
    updateAttributes(model: string, id: unknown, data: Record<string, unknown>, options: object, callback: MemoryCallback): void;
    destroy(model: string, id: unknown, options: object, callback: MemoryCallback): void;
    destroyAll(model: string, where: Record<string, unknown> | undefined, options: object, callback: MemoryCallback): void;
    update(model: string, where: Record<string, unknown> | undefined, data: Record<string, unknown>, options: object, callback: MemoryCallback): void;
    updateAll(model: string, where: Record<string, unknown> | undefined, data: Record<string, unknown>, options: object, callback: MemoryCallback): void;
    replaceById(model: string, id: unknown, data: Record<string, unknown>, options: object, callback: MemoryCallback): void;
    replaceOrCreate(model: string, data: Record<string, unknown>, options: object, callback: MemoryCallback): void;
    _findAllSkippingIncludes(model: string, filter?: MemoryFilter): Array<Record<string, unknown>>;
    all(
      model: string,
      filter: MemoryFilter | undefined,
      options: Record<string, unknown> | undefined,
      callback: (err: Error | null, rows?: Array<Record<string, unknown>>) => void,
    ): void;
    count(
      model: string,
      where: Record<string, unknown> | undefined,
      options: Record<string, unknown> | undefined,
      callback: (err: Error | null, count?: number) => void,
    ): void;
  }
  export type MemoryCallback = (err: Error | null, ...results: unknown[]) => void;
  /** A filter as the juggler hands it to a connector: normalised, fields as a list of names. */
  export interface MemoryFilter {
    where?: Record<string, unknown>;
    order?: string | string[];
    fields?: string[];
    skip?: number;
    offset?: number;
    limit?: number;
    include?: unknown;
  }
  export function applyFilter(filter: {where: unknown}): (row: object) => boolean;
}
declare module 'loopback-datasource-juggler/lib/geo' {
  export function nearFilter(where: unknown): false | object[];
}
declare module 'loopback-datasource-juggler/lib/utils' {
  export function selectFields(fields: string[]): (row: object) => Record<string, unknown>;
}
