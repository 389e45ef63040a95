import {BindingScope, inject, injectable} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import * as client from 'openid-client';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {peerError} from '../../utils/api-error.util';

export interface TokenSet {
  access_token: string;
  expires_at: number;
  expires_in: number;
  id_token: string;
  refresh_token?: string;
  scope: string;
  token_type: string;
}

export interface AuthorizationRequest {
  redirectUri: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface CodeExchange {
  code: string;
  state: string;
  iss?: string;
  redirectUri: string;
  nonce: string;
  codeVerifier: string;
}

/**
 * Every call to the identity provider (discovery, authorization URL, code
 * and refresh grants, end-session URL) goes through openid-client here.
 * Discovery happens on first use and is retried after a failure, so the API
 * starts even while the provider is down.
 */
@injectable({scope: BindingScope.SINGLETON})
export class OidcClientService {
  private readonly oidc: AppConfig['oidc'];
  private configuration?: Promise<client.Configuration>;

  constructor(@inject(AppBindings.CONFIG) config: AppConfig) {
    this.oidc = config.oidc;
  }

  /** The provider's discovery document. */
  async serverMetadata(): Promise<client.ServerMetadata> {
    return (await this.discover()).serverMetadata();
  }

  async authorizationUrl(request: AuthorizationRequest): Promise<string> {
    const configuration = await this.discover();
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: request.redirectUri,
      scope: this.oidc.scopes,
      state: request.state,
      nonce: request.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(
        request.codeVerifier,
      ),
      code_challenge_method: 'S256',
    });
    return url.href;
  }

  /** The tokens, and the ID token's claims (checked by openid-client: signature, issuer, audience, nonce). */
  async exchangeCode(exchange: CodeExchange): Promise<{tokens: TokenSet; idTokenClaims: Record<string, unknown>}> {
    const configuration = await this.discover();
    const callbackUrl = new URL(exchange.redirectUri);
    callbackUrl.search = '';
    callbackUrl.searchParams.set('code', exchange.code);
    callbackUrl.searchParams.set('state', exchange.state);
    // One issuer is configured, so a mix-up between providers cannot happen:
    // a client that drops the `iss` parameter is given the configured one.
    if (
      exchange.iss !== undefined ||
      configuration.serverMetadata().authorization_response_iss_parameter_supported
    ) {
      callbackUrl.searchParams.set('iss', exchange.iss ?? configuration.serverMetadata().issuer);
    }
    const tokens = await this.call('exchange the authorization code', () =>
      client.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: exchange.codeVerifier,
        expectedState: exchange.state,
        expectedNonce: exchange.nonce,
        idTokenExpected: true,
      }),
    );
    return {tokens: toTokenSet(tokens), idTokenClaims: {...tokens.claims()}};
  }

  async refresh(refreshToken: string): Promise<{tokens: TokenSet; idTokenClaims: Record<string, unknown>}> {
    const configuration = await this.discover();
    const tokens = await this.call('refresh the tokens', () =>
      client.refreshTokenGrant(configuration, refreshToken),
    );
    return {tokens: toTokenSet(tokens), idTokenClaims: {...tokens.claims()}};
  }

  async logoutUrl(idToken: string): Promise<string> {
    const configuration = await this.discover();
    if (!configuration.serverMetadata().end_session_endpoint) {
      throw new HttpErrors.NotImplemented(
        'The identity provider offers no end_session_endpoint, so there is no logout URL',
      );
    }
    return client.buildEndSessionUrl(configuration, {
      id_token_hint: idToken,
      post_logout_redirect_uri: this.oidc.postLogoutRedirectUri,
    }).href;
  }

  private discover(): Promise<client.Configuration> {
    this.configuration ??= this.call('read its discovery document', () =>
      client.discovery(
        new URL(this.oidc.issuer),
        this.oidc.clientId,
        this.oidc.clientSecret ? {client_secret: this.oidc.clientSecret} : undefined,
        this.oidc.clientSecret
          ? client.ClientSecretPost(this.oidc.clientSecret)
          : client.None(),
        {
          execute: this.oidc.allowHttp ? [client.allowInsecureRequests] : [],
          timeout: Math.ceil(this.oidc.httpTimeoutMs / 1000),
        },
      ),
    ).then(
      configuration => {
        configuration.timeout = Math.ceil(this.oidc.httpTimeoutMs / 1000);
        return configuration;
      },
      err => {
        this.configuration = undefined;
        throw err;
      },
    );
    return this.configuration;
  }

  private async call<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (err) {
      throw providerError(err, what);
    }
  }
}

function toTokenSet(
  tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
): TokenSet {
  const expiresIn = tokens.expiresIn() ?? 0;
  return {
    access_token: tokens.access_token,
    expires_at: Math.floor(Date.now() / 1000) + expiresIn,
    expires_in: expiresIn,
    id_token: tokens.id_token ?? '',
    refresh_token: tokens.refresh_token,
    scope: tokens.scope ?? '',
    token_type: tokens.token_type,
  };
}

/** Maps a failed provider call to the status a client can act on. */
export function providerError(err: unknown, what: string): Error {
  if (HttpErrors.isHttpError(err)) return err;
  if (err instanceof client.ResponseBodyError) {
    if (err.error === 'invalid_grant') {
      return new HttpErrors.BadRequest(
        `The identity provider refused to ${what}: the code or token is invalid, expired or already used`,
      );
    }
    return peerError('identity_provider', new HttpErrors.BadGateway(
      `The identity provider refused to ${what}: ${err.error}`,
    ));
  }
  if (err instanceof client.AuthorizationResponseError) {
    return new HttpErrors.BadRequest(
      `The identity provider answered the sign-in with ${err.error}`,
    );
  }
  const causes = errorChain(err);
  if (causes.some(e => e.name === 'TimeoutError' || e.name === 'AbortError')) {
    return peerError('identity_provider', new HttpErrors.GatewayTimeout(
      `The identity provider did not answer in time when asked to ${what}`,
    ));
  }
  if (
    causes.some(
      e =>
        e.message === 'fetch failed' ||
        ['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'EAI_AGAIN'].includes(
          (e as NodeJS.ErrnoException).code ?? '',
        ),
    )
  ) {
    return peerError('identity_provider', new HttpErrors.ServiceUnavailable(
      `The identity provider is unreachable: could not ${what}`,
    ));
  }
  if (err instanceof client.ClientError) {
    return new HttpErrors.BadRequest(
      `The identity provider's answer failed validation when trying to ${what}: ${err.message}`,
    );
  }
  return peerError('identity_provider', new HttpErrors.BadGateway(
    `The identity provider failed when asked to ${what}`,
  ));
}

function errorChain(err: unknown): Error[] {
  const chain: Error[] = [];
  let current = err;
  while (current instanceof Error && chain.length < 5) {
    chain.push(current);
    current = current.cause;
  }
  return chain;
}
