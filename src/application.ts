// Before the explorer is loaded: see the module.
import './framework/swagger-ui-folder.util';
import {
  AuthenticationBindings,
  AuthenticationComponent,
  registerAuthenticationStrategy,
} from '@loopback/authentication';
import {
  AuthorizationBindings,
  AuthorizationComponent,
  AuthorizationDecision,
} from '@loopback/authorization';
import {BootBindings, BootMixin, BootTags} from '@loopback/boot';
import {
  ApplicationConfig,
  BindingScope,
  Constructor,
  CoreBindings,
  CoreTags,
  createBindingFromClass,
  extensionFor,
} from '@loopback/core';
import {RepositoryMixin} from '@loopback/repository';
import {RestApplication, RestBindings, RestMiddlewareGroups, RestTags} from '@loopback/rest';
import {RestExplorerBindings, RestExplorerComponent} from '@loopback/rest-explorer';
import {ServiceMixin} from '@loopback/service-proxy';
import debugFactory from 'debug';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import tty from 'node:tty';
import {OidcBearerStrategy} from './authentication/oidc-bearer.strategy';
import {OpenbisSessionStrategy} from './authentication/openbis-session.strategy';
import {SpawnerTokenStrategy} from './authentication/spawner-token.strategy';
import {ResourceAccessAuthorizer} from './authorization/resource-access.authorizer';
import {explorerSecurityHeaders} from './interceptors/explorer-security-headers.interceptor';
import {explorerSpecForPeople} from './interceptors/explorer-spec.interceptor';
import {elnCors} from './middleware/eln-cors.middleware';
import {writeOrigin} from './middleware/write-origin.middleware';
import {DRAIN_OBSERVER_GROUP} from './observers/drain.observer';
import {decorateExplorer} from './framework/explorer-controller';
import {SecuritySchemesSpecEnhancer} from './authentication/security-schemes.spec-enhancer';
import {PathOrderControllerBooter} from './booters/path-order-controller.booter';
import {ErrorResponsesSpecEnhancer} from './enhancers/error-responses.spec-enhancer';
import {FrameworkNotesSpecEnhancer} from './enhancers/framework-notes.spec-enhancer';
import {LicenseSpecEnhancer} from './enhancers/license.spec-enhancer';
import {ServersSpecEnhancer} from './enhancers/servers.spec-enhancer';
import {RequestIdSpecEnhancer} from './enhancers/request-id.spec-enhancer';
import {ResourceIdsSpecEnhancer} from './enhancers/resource-ids.spec-enhancer';
import {SharedResponsesSpecEnhancer} from './enhancers/shared-responses.spec-enhancer';
import {TagDescriptionsSpecEnhancer} from './enhancers/tag-descriptions.spec-enhancer';
import {AppConfig, EMBEDDED_OIDC_PATH} from './config';
import {RESOURCE_DESCRIPTORS} from './kinds';
import {AppBindings, HealthBindings, OIDC_BEARER_STRATEGY, ResourceBindings, SecretBindings} from './keys';
import {ERROR_WRITER_OPTIONS, JsonRejectProvider} from './providers/json-reject.provider';
import {QuietTrieRouter} from './framework/quiet-trie.router';
import {DepthLimitedJsonBodyParser} from './framework/depth-limited-json.body-parser';
import {FastSequence} from './sequences/fast.sequence';
import {DatabaseHealthCheck} from './services/health/database-health-check.service';
import {
  createDevelopmentProvider,
  loadOrCreateProviderSecrets,
} from './services/identity/development-identity-provider.service';
import {FileSystemService} from './services/files/file-system.service';
import {FolderHealthCheck} from './services/files/folder-health-check.service';
import {HubHealthCheck} from './services/hub/hub-health-check.service';
import {JupyterHubService} from './services/hub/jupyterhub.service';
import {LocalSecretStoreService} from './services/secrets/local-secret-store.service';
import {LoggerService} from './services/logger.service';
import {REQUEST_ID_HEADER} from './utils/request-scope.util';
import {routeProviderNotices} from './utils/provider-notices.util';
import type {SecretStore} from './types/secret-store';
import {SecretStoreHealthCheck} from './services/secrets/secret-store-health-check.service';
import {LAUNCHER_CSP, setPageSecurityHeaders} from './utils/page-security-headers.util';
import {VaultSecretStoreService} from './services/secrets/vault-secret-store.service';

const pkg = require('../../package.json') as {
  name: string;
  version: string;
  description: string;
};

// LoopBack makes a debug logger for every context, several per request, and
// each asks whether stderr is a terminal (a system call) unless the colour
// choice is made: made once here, as the debug package would make it.
debugFactory.inspectOpts ??= {};
debugFactory.inspectOpts.colors ??= tty.isatty(process.stderr.fd);

decorateExplorer(explorerSecurityHeaders, explorerSpecForPeople);

export class NotebooksHubApplication extends BootMixin(
  ServiceMixin(RepositoryMixin(RestApplication)),
) {
  constructor(
    readonly config: AppConfig,
    options: ApplicationConfig = {},
  ) {
    super({
      ...options,
      rest: {
        host: config.host,
        port: config.port,
        // In-flight requests may finish this long once a stop begins; then their connections are cut.
        gracePeriodForClose: config.shutdownGraceSeconds * 1000,
        expressSettings: {'x-powered-by': false, 'trust proxy': config.trustProxy},
        requestBodyParser: {
          json: {limit: config.maxBodySize, strict: true},
          text: {limit: config.maxBodySize},
        },
        cors: {
          origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
          methods: 'GET,HEAD,PUT,PATCH,POST,DELETE',
          // The sign-in cookie (path /auth) travels from the configured origins; no origin may send it with '*'.
          credentials: !config.corsOrigins.includes('*'),
          maxAge: 86400,
          exposedHeaders: [REQUEST_ID_HEADER],
        },
        ...options.rest,
      },
    });
    this.projectRoot = __dirname;
    // Each resource kind's model, repository, services and controllers are in its folder of kinds/.
    this.bootOptions = {
      controllers: {dirs: ['controllers', 'kinds'], extensions: ['.controller.js'], nested: true},
      // PlainCrudRepository is the base of the others, no repository of a model: bound, migrateSchema would build it.
      repositories: {glob: '/{repositories,kinds}/**/!(plain-crud).repository.js'},
      models: {dirs: ['models', 'kinds'], extensions: ['.model.js'], nested: true},
      datasources: {dirs: ['datasources'], extensions: ['.datasource.js'], nested: true},
      services: {dirs: ['services', 'kinds'], extensions: ['.service.js'], nested: true},
      observers: {dirs: ['observers'], extensions: ['.observer.js'], nested: true},
    };
    // In place of LoopBack's controller booter: the same key, so its configuration (bootOptions.controllers) stays.
    const controllerBooter = createBindingFromClass(PathOrderControllerBooter, {
      key: `${BootBindings.BOOTERS}.ControllerBooter`,
      defaultScope: BindingScope.SINGLETON,
    });
    this.add(controllerBooter.tag(BootTags.BOOTER));

    // LoopBack orders observers by their group tag, which its REST server lacks: untagged, it
    // would start before the database connects and stop after it closed, under in-flight requests.
    this.getBinding(`${CoreBindings.SERVERS}.RestServer`).tag({[CoreTags.LIFE_CYCLE_OBSERVER_GROUP]: 'server'});
    this.bind(CoreBindings.LIFE_CYCLE_OBSERVER_OPTIONS).to({parallel: true, orderedGroups: ['server', DRAIN_OBSERVER_GROUP]});
    this.bind(AppBindings.CONFIG).to(config);
    this.bodyParser(DepthLimitedJsonBodyParser, RestBindings.REQUEST_BODY_PARSER_JSON);
    this.bind(AppBindings.PACKAGE).to({name: pkg.name, version: pkg.version});
    // The OpenAPI info block (title, version, description, license) is read from it.
    this.setMetadata(pkg);
    this.service(LoggerService);

    this.expressMiddleware(
      'middleware.writeOrigin',
      writeOrigin({own: new URL(config.publicUrl).origin, cors: config.corsOrigins, eln: config.files.elnOrigins}),
      {group: 'writeOrigin', downstreamGroups: [RestMiddlewareGroups.CORS]},
    ).apply(extensionFor(RestTags.REST_MIDDLEWARE_CHAIN, RestTags.ACTION_MIDDLEWARE_CHAIN));
    if (config.files.elnOrigins.length > 0) {
      this.expressMiddleware('middleware.elnCors', elnCors(config.files.elnOrigins), {
        group: 'elnCors',
        downstreamGroups: [RestMiddlewareGroups.CORS],
      }).apply(extensionFor(RestTags.REST_MIDDLEWARE_CHAIN, RestTags.ACTION_MIDDLEWARE_CHAIN));
    }
    this.bind(RestBindings.ROUTER).toClass(QuietTrieRouter);
    this.bind(RestBindings.ERROR_WRITER_OPTIONS).to(ERROR_WRITER_OPTIONS);
    this.bind(RestBindings.SequenceActions.REJECT).toDynamicValue(JsonRejectProvider);
    this.sequence(FastSequence);

    this.component(AuthenticationComponent);
    this.configure(AuthenticationBindings.COMPONENT).to({
      defaultMetadata: [{strategy: OIDC_BEARER_STRATEGY}],
    });
    registerAuthenticationStrategy(this, OidcBearerStrategy);
    registerAuthenticationStrategy(this, OpenbisSessionStrategy);
    registerAuthenticationStrategy(this, SpawnerTokenStrategy);
    this.add(createBindingFromClass(SecuritySchemesSpecEnhancer));
    // After the security schemes: which operations are secured decides their error statuses.
    this.add(createBindingFromClass(ErrorResponsesSpecEnhancer));
    this.add(createBindingFromClass(SharedResponsesSpecEnhancer));
    // After the error and shared answers, which it declares the header on too.
    this.add(createBindingFromClass(RequestIdSpecEnhancer));
    this.add(createBindingFromClass(TagDescriptionsSpecEnhancer));
    this.add(createBindingFromClass(FrameworkNotesSpecEnhancer));
    this.add(createBindingFromClass(ResourceIdsSpecEnhancer));
    this.add(createBindingFromClass(ServersSpecEnhancer));
    this.add(createBindingFromClass(LicenseSpecEnhancer));

    this.configure(AuthorizationBindings.COMPONENT).to({
      precedence: AuthorizationDecision.DENY,
      defaultDecision: AuthorizationDecision.DENY,
    });
    this.component(AuthorizationComponent);
    this.add(createBindingFromClass(ResourceAccessAuthorizer));

    this.configure(RestExplorerBindings.COMPONENT).to({path: '/explorer'});
    this.component(RestExplorerComponent);
    this.static('/', path.join(__dirname, '../../public'), {
      setHeaders: (response, file) => {
        if (file.endsWith('.html')) setPageSecurityHeaders(response, LAUNCHER_CSP);
        else response.setHeader('X-Content-Type-Options', 'nosniff');
      },
    });
    // The launcher's scripts, compiled from web/launcher by `npm run build`.
    this.static('/launcher', path.join(__dirname, '../public/launcher'), {
      setHeaders: response => response.setHeader('X-Content-Type-Options', 'nosniff'),
    });

    const secretStore: Constructor<SecretStore> =
      config.secrets.engine === 'vault' ? VaultSecretStoreService : LocalSecretStoreService;
    this.bind(SecretBindings.STORE).toClass(secretStore).inScope(BindingScope.SINGLETON);
    this.bind(HealthBindings.checkKey('secretStore'))
      .toClass(SecretStoreHealthCheck)
      .tag(HealthBindings.CHECK_TAG);
    for (const descriptor of RESOURCE_DESCRIPTORS) {
      this.bind(ResourceBindings.descriptorKey(descriptor.kind)).to(descriptor).tag(ResourceBindings.DESCRIPTOR_TAG);
    }
    this.bind(HealthBindings.checkKey('database'))
      .toClass(DatabaseHealthCheck)
      .tag(HealthBindings.CHECK_TAG);
    for (const [name, folder] of Object.entries({
      dataDir: config.dataDir,
      datasetsRoot: config.datasetsRoot,
      modulesRoot: config.modulesRoot,
      homesRoot: config.homesRoot,
    })) {
      this.bind(HealthBindings.checkKey(name))
        .to(new FolderHealthCheck(name, folder))
        .tag(HealthBindings.CHECK_TAG);
    }
  }

  override async boot(): Promise<void> {
    const {dataDir, datasetsRoot, modulesRoot, homesRoot} = this.config;
    // DATA_DIR holds keys and the database: no one else may even pass through it, so that
    // a hard link to its files cannot be made from a home.
    await fs.mkdir(dataDir, {recursive: true, mode: 0o700});
    const own = await fs.stat(dataDir);
    if (own.uid === process.getuid?.() && (own.mode & 0o777) !== 0o700) await fs.chmod(dataDir, 0o700);
    for (const folder of [datasetsRoot, modulesRoot, homesRoot]) {
      await fs.mkdir(folder, {recursive: true});
    }
    await super.boot();
    if (this.config.oidc.embedded) await this.mountDevelopmentProvider();
    const hub = await this.get<JupyterHubService>('services.JupyterHubService');
    if (hub.configured) {
      this.bind(HealthBindings.checkKey('jupyterhub')).to(new HubHealthCheck(hub)).tag(HealthBindings.CHECK_TAG);
    }
  }

  /** The embedded OpenID provider for a newcomer; configuration refuses it in production. */
  private async mountDevelopmentProvider(): Promise<void> {
    const {oidc, dataDir} = this.config;
    const logger = await this.get<LoggerService>('services.LoggerService');
    // Before the provider loads: it warns about its development defaults as it starts.
    this.onStop(routeProviderNotices(logger));
    const secrets = await loadOrCreateProviderSecrets(
      dataDir,
      await this.get<FileSystemService>('services.FileSystemService'),
    );
    const provider = await createDevelopmentProvider({
      issuer: oidc.issuer,
      clientId: oidc.clientId,
      clientSecret: oidc.clientSecret,
      audience: oidc.audience,
      redirectUris: oidc.redirectUris,
      postLogoutRedirectUris: [oidc.postLogoutRedirectUri],
      ...secrets,
    });
    provider.on('server_error', (_ctx: unknown, err: Error) => {
      logger.error('the embedded OpenID provider failed a request', {reason: err.message, stack: err.stack});
    });
    // Koa would print errors that escape the provider's own handling to stderr as text.
    provider.app.on('error', (err: Error & {status?: number}) => {
      if ((err.status ?? 500) >= 500) logger.error('the embedded OpenID provider failed a request', {reason: err.message, stack: err.stack});
    });
    const handle = provider.callback();
    // Koa answers its own errors, so the returned promise never rejects.
    this.mountExpressRouter(EMBEDDED_OIDC_PATH, (request, response) => {
      handle(request, response).catch(() => {});
    });
    logger.warn(
      `The embedded development OpenID provider serves ${oidc.issuer}: it signs in the test users alice, bob, carol (@example.org) and dave@partner.org with any password; erin@example.org's address is not verified, so every client refuses her. Set OIDC_ISSUER for anything but development.`,
    );
  }
}
