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
    setupFileQueue(): {push(task: FileTask): void};
  }
}
