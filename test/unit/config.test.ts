import {expect} from '@loopback/testlab';
import path from 'node:path';
import {ConfigError, loadConfig} from '../../src/config';

describe('loadConfig', () => {
  it('runs with no settings at all: embedded store and embedded provider', () => {
    const config = loadConfig({});
    expect(config).to.containDeep({
      production: false,
      host: '127.0.0.1',
      port: 3000,
      publicUrl: 'http://localhost:3000',
      mongoUrl: undefined,
      dataDir: path.resolve('data'),
      corsOrigins: ['http://localhost:3000'],
      oidc: {
        issuer: 'http://localhost:3000/oidc',
        embedded: true,
        clientId: 'notebooks-hub',
        audience: 'notebooks-hub',
        redirectUris: ['http://localhost:3000/'],
        postLogoutRedirectUri: 'http://localhost:3000/',
        allowHttp: true,
      },
    });
  });

  it('uses a configured issuer and never the embedded provider then', () => {
    const config = loadConfig({OIDC_ISSUER: 'https://login.example.org/realms/lab/', OIDC_AUDIENCE: 'api'});
    expect(config.oidc).to.containDeep({issuer: 'https://login.example.org/realms/lab', embedded: false, audience: 'api'});
  });

  it('stops production start-up without an issuer or a state secret, naming both', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({NODE_ENV: 'production'});
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect(error!.problems).to.have.length(2);
    expect(error!.message).to.match(/OIDC_ISSUER is required when NODE_ENV=production/);
    expect(error!.message).to.match(/AUTH_STATE_SECRET is required/);
  });

  it('accepts a complete production configuration', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      OIDC_ISSUER: 'https://login.example.org/realms/lab',
      AUTH_STATE_SECRET: 'x'.repeat(32),
      MONGO_URL: 'mongodb://mongo:27017/hub',
    });
    expect(config).to.containDeep({production: true, host: '0.0.0.0', mongoUrl: 'mongodb://mongo:27017/hub'});
    expect(config.oidc.allowHttp).to.be.false();
  });

  it('reports every wrong value at once, one message each, naming the variable', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        PUBLIC_URL: 'ftp://example.org',
        MONGO_URL: 'postgres://db',
        MAX_BODY_SIZE: 'huge',
        OIDC_ALLOW_HTTP: 'maybe',
        AUTH_STATE_SECRET: 'short',
        ADMIN_EMAILS: 'root@localhost',
        HUB_USERNAME_RULE: 'random',
        OIDC_REDIRECT_URIS: 'not a url',
      });
    } catch (err) {
      error = err as ConfigError;
    }
    const names = error!.problems.map(p => p.split(' ')[0]);
    expect(names).to.deepEqual([
      'PORT',
      'PUBLIC_URL',
      'MAX_BODY_SIZE',
      'OIDC_REDIRECT_URIS',
      'ADMIN_EMAILS',
      'AUTH_STATE_SECRET',
      'MONGO_URL',
      'LOG_LEVEL',
      'HUB_USERNAME_RULE',
      'OIDC_ALLOW_HTTP',
    ]);
  });

  it('refuses a plain-http issuer unless OIDC_ALLOW_HTTP is set', () => {
    const base = {NODE_ENV: 'production', AUTH_STATE_SECRET: 'x'.repeat(32), OIDC_ISSUER: 'http://keycloak:8080/realms/lab'};
    expect(() => loadConfig(base)).to.throw(/OIDC_ISSUER uses plain http/);
    expect(loadConfig({...base, OIDC_ALLOW_HTTP: 'true'}).oidc.allowHttp).to.be.true();
  });

  it('keeps launch tickets 300 s by default, from 1 s to an hour', () => {
    expect(loadConfig({}).hub.launchTicketTtlSeconds).to.equal(300);
    expect(loadConfig({LAUNCH_TICKET_TTL_SECONDS: '1'}).hub.launchTicketTtlSeconds).to.equal(1);
    expect(() => loadConfig({LAUNCH_TICKET_TTL_SECONDS: '0'})).to.throw(/LAUNCH_TICKET_TTL_SECONDS must be a whole number from 1 to 3600/);
  });

  it('reads the idle timeout and lifetime settings in minutes and hours, fractions included, and refuses a default set above its cap', () => {
    expect(loadConfig({}).hub.culling).to.deepEqual({idleTimeoutMinutes: 60, idleTimeoutMaxMinutes: 1440, maxLifetimeHours: 0});
    const seconds = loadConfig({IDLE_TIMEOUT_MINUTES: '0.05', IDLE_TIMEOUT_MAX_MINUTES: '0.5', MAX_LIFETIME_HOURS: '0.002'}).hub.culling;
    expect(seconds).to.deepEqual({idleTimeoutMinutes: 0.05, idleTimeoutMaxMinutes: 0.5, maxLifetimeHours: 0.002});
    expect(() => loadConfig({IDLE_TIMEOUT_MINUTES: '-1'})).to.throw(/IDLE_TIMEOUT_MINUTES must be a number from 0 to 525600/);
    expect(() => loadConfig({MAX_LIFETIME_HOURS: '1e3'})).to.throw(/MAX_LIFETIME_HOURS must be a number/);
    expect(() => loadConfig({IDLE_TIMEOUT_MAX_MINUTES: '0'})).to.throw(/IDLE_TIMEOUT_MAX_MINUTES must be a number from 0.001/);
    expect(() => loadConfig({IDLE_TIMEOUT_MINUTES: '90', IDLE_TIMEOUT_MAX_MINUTES: '30'})).to.throw(/IDLE_TIMEOUT_MINUTES must not be above IDLE_TIMEOUT_MAX_MINUTES/);
    // Unset, the default idle timeout is an hour or the cap, whichever is shorter.
    expect(loadConfig({IDLE_TIMEOUT_MAX_MINUTES: '30'}).hub.culling.idleTimeoutMinutes).to.equal(30);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({OIDC_ISSUER: '', PORT: ''}).oidc.embedded).to.be.true();
  });

  it('lower-cases admin emails and splits lists on commas', () => {
    const config = loadConfig({ADMIN_EMAILS: ' Root@Example.org , ops@example.org', CORS_ORIGINS: '*'});
    expect(config.oidc.adminEmails).to.deepEqual(['root@example.org', 'ops@example.org']);
    expect(config.corsOrigins).to.deepEqual(['*']);
  });
  describe('plain-http peers in production', () => {
    const production = {
      NODE_ENV: 'production',
      OIDC_ISSUER: 'https://login.example.org/realms/lab',
      AUTH_STATE_SECRET: 'x'.repeat(32),
    };
    const peers = {
      HUB_API_URL: 'http://hub:8081/hub/api',
      HUB_API_TOKEN: 'hub-token',
      VAULT_ADDR: 'http://vault:8200',
      VAULT_TOKEN: 'vault-token',
      OPENBIS_URL: 'http://openbis.example.org',
    };

    it('stops start-up, naming each plain-http peer and the way out', () => {
      let error: ConfigError | undefined;
      try {
        loadConfig({...production, ...peers});
      } catch (err) {
        error = err as ConfigError;
      }
      expect(error).to.be.instanceOf(ConfigError);
      expect(error!.problems).to.deepEqual(
        ['HUB_API_URL', 'VAULT_ADDR', 'OPENBIS_URL'].map(
          name => `${name} uses plain http: set an https URL, or ALLOW_HTTP_PEERS=true when the network to it is trusted`,
        ),
      );
    });

    it('accepts them with ALLOW_HTTP_PEERS=true, https peers always, and http ones outside production', () => {
      expect(loadConfig({...production, ...peers, ALLOW_HTTP_PEERS: 'true'}).hub.apiUrl).to.equal('http://hub:8081/hub/api');
      const secure = loadConfig({
        ...production,
        ...peers,
        HUB_API_URL: 'https://hub.example.org/hub/api',
        VAULT_ADDR: 'https://vault.example.org',
        OPENBIS_URL: 'https://openbis.example.org',
      });
      expect(secure.secrets.vault.address).to.equal('https://vault.example.org');
      expect(loadConfig(peers).files.openbis.url).to.equal('http://openbis.example.org');
    });
  });

  it('reads the rate limits (0 turns one off), the trusted proxies and the verified-email rule', () => {
    const defaults = loadConfig({});
    expect(defaults.rateLimits).to.deepEqual({authPerClientAddress: 60, writesPerCaller: 600});
    expect(defaults.trustProxy).to.deepEqual(['loopback']);
    expect(defaults.oidc.requireVerifiedEmail).to.be.true();
    const set = loadConfig({
      RATE_LIMIT_AUTH_PER_MINUTE: '0',
      RATE_LIMIT_WRITES_PER_MINUTE: '5',
      TRUST_PROXY: '10.0.0.0/8, uniquelocal',
      OIDC_REQUIRE_VERIFIED_EMAIL: 'false',
    });
    expect(set.rateLimits).to.deepEqual({authPerClientAddress: 0, writesPerCaller: 5});
    expect(set.trustProxy).to.deepEqual(['10.0.0.0/8', 'uniquelocal']);
    expect(set.oidc.requireVerifiedEmail).to.be.false();
    expect(loadConfig({TRUST_PROXY: '2'}).trustProxy).to.equal(2);
    expect(loadConfig({TRUST_PROXY: 'false'}).trustProxy).to.be.false();
    expect(() => loadConfig({TRUST_PROXY: 'everyone', RATE_LIMIT_AUTH_PER_MINUTE: '-1'})).to.throw(
      /RATE_LIMIT_AUTH_PER_MINUTE must be a whole number[\s\S]*TRUST_PROXY must be true, false, a hop count/,
    );
  });

  it('reads the applications the hub offers, refusing a list that names none, an odd name or one twice', () => {
    expect(loadConfig({}).hub.applications).to.deepEqual(['JupyterLab', 'Notebook']);
    expect(loadConfig({HUB_APPLICATIONS: ' RStudio , JupyterLab '}).hub.applications).to.deepEqual(['RStudio', 'JupyterLab']);
    expect(() => loadConfig({HUB_APPLICATIONS: ','})).to.throw(/HUB_APPLICATIONS must name at least one application/);
    expect(() => loadConfig({HUB_APPLICATIONS: 'Lab;rm'})).to.throw(/HUB_APPLICATIONS holds "Lab;rm", which is no application name/);
    expect(() => loadConfig({HUB_APPLICATIONS: 'Notebook,notebook'})).to.throw(/HUB_APPLICATIONS names an application twice/);
  });

  it('reads where a file opens per application: JupyterLab and the classic Notebook by default, one path for all, or Application=path entries', () => {
    expect(loadConfig({}).files.linkPaths).to.deepEqual({jupyterlab: 'lab/tree/{path}', notebook: 'notebooks/{path}'});
    expect(loadConfig({FILE_LINK_PATH: '/notebooks/{path}'}).files.linkPaths).to.deepEqual({'*': 'notebooks/{path}'});
    expect(loadConfig({FILE_LINK_PATH: 'RStudio = files/{path}, lab/tree/{path}?reset=1'}).files.linkPaths).to.deepEqual({
      rstudio: 'files/{path}',
      '*': 'lab/tree/{path}?reset=1',
    });
    expect(() => loadConfig({FILE_LINK_PATH: 'JupyterLab=lab/tree'})).to.throw(/FILE_LINK_PATH must be a path holding \{path\}.*"JupyterLab=lab\/tree"/);
  });

  it('reads the default template files open in, unset by default', () => {
    expect(loadConfig({}).hub.defaultTemplateId).to.be.undefined();
    expect(loadConfig({DEFAULT_TEMPLATE_ID: 'a1b2'}).hub.defaultTemplateId).to.equal('a1b2');
  });
});
