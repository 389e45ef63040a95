import {BindingScope, inject, injectable} from '@loopback/core';
import type {AppConfig, LogLevel} from '../config';
import {LOG_LEVELS} from '../config';
import {AppBindings} from '../keys';
import {currentRequestScope} from '../utils/request-scope.util';

export type LogSink = (line: string) => void;
export type LogFields = Record<string, unknown>;

const writeToStdout: LogSink = line => process.stdout.write(`${line}\n`);

/**
 * JSON-lines logger. Callers pass structured fields, never request bodies,
 * tokens or secret values: what is logged is decided at each call site.
 * A line written while a request is handled carries its `requestId` and,
 * once the caller is known, `user` (a hash of their email).
 */
@injectable({scope: BindingScope.SINGLETON})
export class LoggerService {
  private readonly threshold: number;
  private sink: LogSink = writeToStdout;

  constructor(@inject(AppBindings.CONFIG) config: Pick<AppConfig, 'logLevel'>) {
    this.threshold = LOG_LEVELS.indexOf(config.logLevel);
  }

  /** Redirects output, so tests can read what would have been logged. */
  useSink(sink: LogSink): void {
    this.sink = sink;
  }

  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }

  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }

  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= this.threshold;
  }

  private log(level: LogLevel, message: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    const scope = currentRequestScope();
    this.sink(
      JSON.stringify({time: new Date().toISOString(), level, message, requestId: scope?.requestId, user: scope?.user, ...fields}),
    );
  }
}
