import type Provider from 'oidc-provider';
import type {Configuration, JWK, KoaContextWithOIDC} from 'oidc-provider';
import {generateKeyPairSync, randomBytes} from 'node:crypto';
import path from 'node:path';
import {FileSystemService} from '../files/file-system.service';

export interface DevelopmentUser {
  email: string;
  name: string;
  roles: string[];
  /** False for a person who has not confirmed their address yet: tokens say `email_verified: false`. */
  emailVerified?: boolean;
}

/** The documented test users of the embedded provider (any password is accepted). */
export const DEVELOPMENT_USERS: readonly DevelopmentUser[] = [
  {email: 'alice@example.org', name: 'Alice Admin', roles: ['admin']},
  {email: 'bob@example.org', name: 'Bob Researcher', roles: []},
  {email: 'carol@example.org', name: 'Carol Researcher', roles: []},
  {email: 'dave@partner.org', name: 'Dave Partner', roles: []},
  {email: 'erin@example.org', name: 'Erin Unverified', roles: [], emailVerified: false},
];

export interface DevelopmentProviderOptions {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  audience: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** Private signing keys; the first one signs. */
  signingKeys: JWK[];
  cookieKeys: string[];
  accessTokenTtlSeconds?: number;
  /** Test users whose ID tokens say `email_verified: false`, as a provider does before a person confirms their address. */
  unverifiedEmails?: string[];
  /** Who a login names; by default one of DEVELOPMENT_USERS (by email or the part before the @). */
  findUser?: (login: string | undefined) => DevelopmentUser | undefined;
}

/** What every token of the embedded provider may ask for. */
const SCOPES = 'openid email profile offline_access';
/** Resource indicators must be absolute URIs; the token's `aud` is the configured audience. */
const API_RESOURCE = 'urn:notebooks-hub:api';

/**
 * A real OpenID provider (npm oidc-provider) for development and tests: the
 * authorization code flow with PKCE, refresh tokens, end-session, and JWT
 * access tokens for the API's audience that carry the email, name and roles
 * claims the way Keycloak's do. Its login page accepts the documented test
 * users with any password, so it must never serve production.
 */
export async function createDevelopmentProvider(
  options: DevelopmentProviderOptions,
): Promise<Provider> {
  // Loaded on first use: only development and tests mount it, and it adds about 35 MB to the process.
  const {default: OidcProvider, errors} = await import('oidc-provider');
  const findUser = options.findUser ?? findDevelopmentUser;
  const emailVerified = (user: DevelopmentUser) => user.emailVerified !== false && !options.unverifiedEmails?.includes(user.email);
  const configuration: Configuration = {
    clients: [
      {
        client_id: options.clientId,
        ...(options.clientSecret
          ? {client_secret: options.clientSecret, token_endpoint_auth_method: 'client_secret_post'}
          : {token_endpoint_auth_method: 'none'}),
        redirect_uris: options.redirectUris,
        post_logout_redirect_uris: options.postLogoutRedirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    jwks: {keys: options.signingKeys},
    cookies: {keys: options.cookieKeys},
    scopes: SCOPES.split(' '),
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'roles'],
    },
    pkce: {methods: ['S256'], required: () => true},
    ttl: {
      AccessToken: options.accessTokenTtlSeconds ?? 3600,
      IdToken: 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      RefreshToken: 14 * 24 * 3600,
    },
    features: {
      devInteractions: {enabled: true},
      rpInitiatedLogout: {enabled: true},
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== API_RESOURCE) throw new errors.InvalidTarget();
          return {
            scope: SCOPES,
            audience: options.audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: options.accessTokenTtlSeconds ?? 3600,
            jwt: {sign: {alg: 'RS256'}},
          };
        },
      },
    },
    findAccount: (_ctx, id) => {
      const user = findUser(id);
      if (!user) return undefined;
      return {
        accountId: user.email,
        claims: () => ({
          sub: user.email,
          email: user.email,
          email_verified: emailVerified(user),
          name: user.name,
          roles: user.roles,
        }),
      };
    },
    extraTokenClaims: (_ctx, token) => {
      const user = findUser((token as {accountId?: string}).accountId);
      return user && {email: user.email, email_verified: emailVerified(user), name: user.name, roles: user.roles};
    },
    // First-party client: the test users consent to everything they are asked for.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const {client, session} = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId =
        ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      const grant = new ctx.oidc.provider.Grant({
        clientId: client.clientId,
        accountId: session.accountId,
      });
      grant.addOIDCScope(SCOPES);
      grant.addResourceScope(API_RESOURCE, SCOPES);
      await grant.save();
      return grant;
    },
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  };
  return new OidcProvider(options.issuer, configuration);
}

function findDevelopmentUser(login: string | undefined): DevelopmentUser | undefined {
  const wanted = login?.trim().toLowerCase();
  return DEVELOPMENT_USERS.find(
    user => user.email === wanted || user.email.split('@')[0] === wanted,
  );
}

/** A fresh RSA signing key as a private JWK with a random `kid`. */
export function generateSigningKey(): JWK {
  const {privateKey} = generateKeyPairSync('rsa', {modulusLength: 2048});
  return {
    ...(privateKey.export({format: 'jwk'}) as JWK),
    kid: randomBytes(8).toString('hex'),
    alg: 'RS256',
    use: 'sig',
  };
}

interface ProviderSecrets {
  signingKeys: JWK[];
  cookieKeys: string[];
}

/**
 * Keys of the embedded provider, kept in the data folder (mode 0600) so
 * tokens and sessions stay valid across restarts of the API.
 */
export async function loadOrCreateProviderSecrets(
  dataDir: string,
  files: FileSystemService,
): Promise<ProviderSecrets> {
  const stored = await files.readOrCreatePrivate(path.join(dataDir, 'development-oidc-keys.json'), () =>
    JSON.stringify({
      signingKeys: [generateSigningKey()],
      cookieKeys: [randomBytes(32).toString('base64url')],
    }),
  );
  return JSON.parse(stored) as ProviderSecrets;
}
