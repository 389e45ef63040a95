import dotenv from 'dotenv';
import {NotebooksHubApplication} from './application';
import {ConfigError, loadConfig} from './config';

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
  console.log(`Notebooks Hub API is listening at ${app.restServer.url} (public URL ${config.publicUrl}); explorer at ${config.publicUrl}/explorer`);
  return app;
}

if (require.main === module) {
  main().catch(err => {
    console.error(err instanceof ConfigError ? err.message : `Cannot start the application: ${err.stack ?? err}`);
    process.exit(1);
  });
}
