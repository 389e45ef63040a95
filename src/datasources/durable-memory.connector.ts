import {promises as fs} from 'node:fs';
import path from 'node:path';
import {
  FileTask,
  Memory,
} from 'loopback-datasource-juggler/lib/connectors/memory';

/**
 * LoopBack's memory connector, persisted to its file the way a database
 * would: each snapshot is written to a temporary file, flushed to disk and
 * renamed over the previous one, so a crash leaves the old or the new
 * snapshot and never a truncated file. Writes queued while one is in flight
 * are folded into the next snapshot, since every snapshot holds everything.
 */
export class DurableMemory extends Memory {
  override setupFileQueue(): {push(task: FileTask): void} {
    this.fileQueue ??= new SnapshotQueue(this);
    return this.fileQueue;
  }
}

class SnapshotQueue {
  private tail: Promise<void> = Promise.resolve();
  private nextWrite?: FileTask[];

  constructor(private readonly connector: DurableMemory) {}

  push(task: FileTask): void {
    if (task.operation === 'read') {
      this.enqueue(() => this.read(task));
      return;
    }
    if (this.nextWrite) {
      this.nextWrite.push(task);
      return;
    }
    const batch = [task];
    this.nextWrite = batch;
    this.enqueue(async () => {
      this.nextWrite = undefined;
      let failure: Error | undefined;
      try {
        await this.writeSnapshot();
      } catch (err) {
        failure = err as Error;
      }
      for (const queued of batch) queued.callback?.(failure, queued.data);
    });
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
    const handle = await fs.open(temporary, 'w', 0o600);
    try {
      await handle.writeFile(snapshot, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, this.file);
  }

  private get file(): string {
    return this.connector.settings.file!;
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
