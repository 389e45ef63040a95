import dotenv from 'dotenv';
import {NotebooksHubApplication} from './application';
import {ConfigError, loadConfig} from './config';
import {LoggerService} from './services/logger.service';

export {NotebooksHubApplication};

export async function main(): Promise<NotebooksHubApplication> {
  dotenv.config({quiet: true});
  const config = loadConfig();
  const app = new NotebooksHubApplication(config, {
    shutdown: {signals: ['SIGTERM', 'SIGINT'], gracePeriod: 10000},
  });
  await app.boot();
  await app.start();
  // LoopBack's own shutdown handling stops the app gracefully on SIGTERM and SIGINT.
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
