import {promises as fs} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {NotebooksHubApplication} from './application';
import {loadConfig} from './config';

/** Writes the running application's OpenAPI document to openapi.json at the repository root. */
async function exportOpenApiSpec(): Promise<void> {
  const app = new NotebooksHubApplication(
    loadConfig({
      NODE_ENV: 'development',
      LOG_LEVEL: 'error',
      DATA_DIR: path.join(os.tmpdir(), 'notebooks-hub-openapi'),
    }),
  );
  await app.boot();
  const outFile = path.resolve(__dirname, '../../openapi.json');
  // The committed document names no host (the served one names PUBLIC_URL): its server is wherever it is served from.
  const spec = {...(await app.restServer.getApiSpec()), servers: [{url: '/'}]};
  await fs.writeFile(outFile, JSON.stringify(spec, null, 2), 'utf-8');
  await app.stop();
}

exportOpenApiSpec().catch(err => {
  console.error('Cannot export the OpenAPI spec:', err);
  process.exit(1);
});
