import dotenv from 'dotenv';
import {NotebooksHubApplication} from './application';
import {ConfigError, loadConfig} from './config';
import {ShutdownService} from './services/lifecycle/shutdown.service';

export {NotebooksHubApplication};

export async function main(): Promise<NotebooksHubApplication> {
  dotenv.config({quiet: true});
  const config = loadConfig();
  // Not LoopBack's signal handling: it ends the process by the signal, never with an exit code.
  const app = new NotebooksHubApplication(config, {shutdown: {signals: []}});
  await app.boot();
  await app.start();
  (await app.get<ShutdownService>('services.ShutdownService')).handleSignals(['SIGTERM', 'SIGINT']);
  console.log(`Notebooks Hub API is listening at ${app.restServer.url} (public URL ${config.publicUrl}); explorer at ${config.publicUrl}/explorer`);
  return app;
}

if (require.main === module) {
  main().catch(err => {
    console.error(err instanceof ConfigError ? err.message : `Cannot start the application: ${err.stack ?? err}`);
    process.exit(1);
  });
}
