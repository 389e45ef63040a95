/** Where notices go: the application's logger. */
interface NoticeLog {
  warn(message: string, fields: Record<string, unknown>): void;
  info(message: string, fields: Record<string, unknown>): void;
}

/** oidc-provider's notices: `oidc-provider WARNING: ...` on console.warn, `... NOTICE: ...` on console.info. */
const NOTICE = /^oidc-provider (WARNING|NOTICE): ([\s\S]*)$/;
/** The colour codes it wraps them in on terminals. */
const COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[\\d;]*m`, 'g');

const loggers: NoticeLog[] = [];
let original: Pick<Console, 'warn' | 'info'> | undefined;

/**
 * Sends oidc-provider's console notices (development keys, in-memory
 * adapter, dev interactions, proxy headers) to `logger` as JSON lines; it
 * writes them with console.warn and console.info and has no hook of its
 * own. Every other console line goes out as before. The console is wrapped
 * once per process; notices go to the logger of the application that
 * mounted a provider last, until the returned function is called.
 */
export function routeProviderNotices(logger: NoticeLog): () => void {
  if (!original) {
    original = {warn: console.warn, info: console.info};
    console.warn = (...args: unknown[]) => forward('warn', args);
    console.info = (...args: unknown[]) => forward('info', args);
  }
  loggers.push(logger);
  return () => {
    const at = loggers.lastIndexOf(logger);
    if (at >= 0) loggers.splice(at, 1);
  };
}

function forward(level: 'warn' | 'info', args: unknown[]): void {
  const match = args.length === 1 && typeof args[0] === 'string' ? NOTICE.exec(args[0].replace(COLOUR, '')) : null;
  const logger = loggers[loggers.length - 1];
  if (!match || !logger) {
    original![level](...args);
    return;
  }
  logger[match[1] === 'WARNING' ? 'warn' : 'info'](`oidc-provider: ${match[2].trim()}`, {source: 'oidc-provider'});
}
