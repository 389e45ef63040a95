import {expect} from '@loopback/testlab';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {loadConfig} from '../../src/config';
import {FileSystemService} from '../../src/services/files/file-system.service';
import {LocalSecretStoreService} from '../../src/services/secrets/local-secret-store.service';
import {LoggerService} from '../../src/services/logger.service';
import type {SecretStore} from '../../src/types/secret-store';
import {VaultSecretStoreService} from '../../src/services/secrets/vault-secret-store.service';
import {temporaryFolder} from '../fixtures/test-app';
import {VaultKvDouble} from '../fixtures/vault-kv-double';

interface StoreUnderTest {
  store: SecretStore;
  cleanup(): Promise<void>;
}

async function localStore(env: Record<string, string> = {}): Promise<StoreUnderTest & {dataDir: string}> {
  const dataDir = await temporaryFolder('secrets');
  const config = loadConfig({DATA_DIR: dataDir, ...env});
  const store = new LocalSecretStoreService(config, new FileSystemService(config));
  return {store, dataDir, cleanup: async () => undefined};
}

async function vaultStore(env: (vault: VaultKvDouble) => Record<string, string> = v => ({VAULT_TOKEN: v.rootToken})) {
  const vault = await VaultKvDouble.start();
  const config = loadConfig({DATA_DIR: await temporaryFolder('vault'), VAULT_ADDR: vault.address, VAULT_TIMEOUT_MS: '2000', ...env(vault)});
  const logger = new LoggerService(config);
  const logged: string[] = [];
  logger.useSink(line => logged.push(line));
  const store = new VaultSecretStoreService(config, logger);
  return {store, vault, logged, cleanup: () => vault.stop()};
}

const CONTRACT: Array<[string, () => Promise<StoreUnderTest>]> = [
  ['the encrypted local store', () => localStore()],
  ['the Vault KV v2 store (against the Vault test double)', () => vaultStore()],
];

for (const [name, make] of CONTRACT) {
  describe(`Secret store contract: ${name}`, () => {
    let subject: StoreUnderTest;

    beforeEach(async () => {
      subject = await make();
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    it('reads back what it wrote', async () => {
      await subject.store.write('a', {API_KEY: 'k-1', OTHER: 'ünïcode ✓'});
      expect(await subject.store.read('a')).to.deepEqual({API_KEY: 'k-1', OTHER: 'ünïcode ✓'});
    });

    it('answers the latest version after an overwrite', async () => {
      await subject.store.write('a', {content: 'one'});
      await subject.store.write('a', {content: 'two'});
      expect(await subject.store.read('a')).to.deepEqual({content: 'two'});
    });

    it('keeps paths apart', async () => {
      await subject.store.write('a', {content: 'for a'});
      await subject.store.write('b', {content: 'for b'});
      expect(await subject.store.read('a')).to.deepEqual({content: 'for a'});
      expect(await subject.store.read('b')).to.deepEqual({content: 'for b'});
    });

    it('answers undefined for a path never written', async () => {
      expect(await subject.store.read('never')).to.be.undefined();
    });

    it('removes every version, and removing twice succeeds', async () => {
      await subject.store.write('a', {content: 'one'});
      await subject.store.write('a', {content: 'two'});
      await subject.store.remove('a');
      expect(await subject.store.read('a')).to.be.undefined();
      await subject.store.remove('a');
    });

    it('reports itself healthy', async () => {
      expect(await subject.store.check()).to.containDeep({engine: subject.store.engine});
    });
  });
}

describe('The encrypted local store', () => {
  it('writes no plaintext to disk and a key file readable by its owner only', async () => {
    const {store, dataDir} = await localStore();
    await store.write('a', {PASSWORD: 'plain-text-needle'});
    const files = await fs.readdir(path.join(dataDir, 'secrets'));
    for (const file of files) {
      expect(await fs.readFile(path.join(dataDir, 'secrets', file), 'utf8')).to.not.containEql('plain-text-needle');
    }
    expect((await fs.stat(path.join(dataDir, 'secrets.key'))).mode & 0o777).to.equal(0o600);
  });

  it('uses SECRETS_KEY when given, and a different key cannot read the value', async () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const first = await localStore({SECRETS_KEY: key});
    await first.store.write('a', {content: 'x'});
    const sameConfig = loadConfig({DATA_DIR: first.dataDir, SECRETS_KEY: key});
    const sameKey = new LocalSecretStoreService(sameConfig, new FileSystemService(sameConfig));
    expect(await sameKey.read('a')).to.deepEqual({content: 'x'});
    const otherConfig = loadConfig({DATA_DIR: first.dataDir, SECRETS_KEY: Buffer.alloc(32, 8).toString('base64')});
    const otherKey = new LocalSecretStoreService(otherConfig, new FileSystemService(otherConfig));
    await expect(otherKey.read('a')).to.be.rejectedWith(/cannot be decrypted/);
  });
});

describe('The Vault KV v2 store', () => {
  it('writes KV v2 requests under the mount and prefix with the token', async () => {
    const {store, vault, cleanup} = await vaultStore();
    try {
      await store.write('abc', {content: 'x'});
      const write = vault.requests.find(r => r.url === '/v1/secret/data/notebooks-hub/abc');
      expect(JSON.parse(write!.body)).to.deepEqual({data: {content: 'x'}});
      await store.remove('abc');
      expect(vault.requests.map(r => `${r.method} ${r.url}`)).to.containEql('DELETE /v1/secret/metadata/notebooks-hub/abc');
    } finally {
      await cleanup();
    }
  });

  it('logs in with an AppRole, and again when its token is revoked', async () => {
    const {store, vault, cleanup} = await vaultStore(v => ({VAULT_ROLE_ID: v.roleId, VAULT_SECRET_ID: v.secretId}));
    try {
      await store.write('a', {content: 'x'});
      vault.revokeIssuedTokens();
      expect(await store.read('a')).to.deepEqual({content: 'x'});
      expect(vault.requests.filter(r => r.url === '/v1/auth/approle/login')).to.have.length(2);
    } finally {
      await cleanup();
    }
  });

  it('answers 503 naming Vault when it is down, and 502 when it refuses the token', async () => {
    const down = await vaultStore();
    try {
      down.vault.down = true;
      await expect(down.store.write('a', {content: 'x'})).to.be.rejectedWith({statusCode: 503, message: /Vault is unreachable/});
      await expect(down.store.check()).to.be.rejectedWith(/Vault is unreachable/);
    } finally {
      await down.cleanup();
    }
    const refused = await vaultStore(() => ({VAULT_TOKEN: 'wrong'}));
    try {
      await expect(refused.store.read('a')).to.be.rejectedWith({statusCode: 502, message: /Vault refused to read a secret: permission denied/});
    } finally {
      await refused.cleanup();
    }
  });

  it('reports a sealed Vault as unhealthy', async () => {
    const {store, vault, cleanup} = await vaultStore();
    try {
      vault.sealed = true;
      await expect(store.check()).to.be.rejectedWith(/sealed/);
    } finally {
      await cleanup();
    }
  });

  it('verifies TLS unless told not to, and warns when told not to', async () => {
    const verified = await vaultStore();
    expect(verified.logged).to.be.empty();
    await verified.cleanup();
    const skipping = await vaultStore(v => ({VAULT_TOKEN: v.rootToken, VAULT_SKIP_TLS_VERIFY: 'true'}));
    expect(skipping.logged.join('\n')).to.match(/VAULT_SKIP_TLS_VERIFY is on/);
    await skipping.cleanup();
  });
});
