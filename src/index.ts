import dotenv from 'dotenv';
import {NotebooksHubApplication} from './application';
import {ConfigError, loadConfig} from './config';

export {NotebooksHubApplication};

export async function main(): Promise<NotebooksHubApplication> {
  dotenv.config({quiet: true});
  const config = loadConfig();
  const app = new NotebooksHubApplication(config);
  await app.boot();
  await app.start();
  const shutdown = () => {
    app.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  console.log(`Notebooks Hub API is listening at ${app.restServer.url} (public URL ${config.publicUrl}); explorer at ${config.publicUrl}/explorer`);
  return app;
}

if (require.main === module) {
  main().catch(err => {
    console.error(err instanceof ConfigError ? err.message : `Cannot start the application: ${err.stack ?? err}`);
    process.exit(1);
  });
}
