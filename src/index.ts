import dotenv from 'dotenv';
import {NotebooksHubApplication} from './application';
import {ConfigError, loadConfig} from './config';
import {ShutdownService} from './services/lifecycle/shutdown.service';
import {LoggerService} from './services/logger.service';

export {NotebooksHubApplication};

export async function main(): Promise<NotebooksHubApplication> {
  dotenv.config({quiet: true});
  const config = loadConfig();
  // Not LoopBack's signal handling: it ends the process by the signal, never with an exit code.
  const app = new NotebooksHubApplication(config, {shutdown: {signals: []}});
  await app.boot();
  await app.start();
  (await app.get<ShutdownService>('services.ShutdownService')).handleSignals(['SIGTERM', 'SIGINT']);
  const logger = await app.get<LoggerService>('services.LoggerService');
  logger.info(`Notebooks Hub API is listening at ${app.restServer.url}`, {
    url: app.restServer.url,
    publicUrl: config.publicUrl,
    explorer: `${config.publicUrl}/explorer`,
  });
  return app;
}

if (require.main === module) {
  main().catch(err => {
    // No configuration was read, or it was refused: every line is JSON all the same.
    const logger = new LoggerService({logLevel: 'error'});
    if (err instanceof ConfigError) logger.error('invalid configuration', {problems: err.problems});
    else logger.error('cannot start the application', {reason: (err as Error)?.message ?? String(err), stack: (err as Error)?.stack});
    process.exit(1);
  });
}
