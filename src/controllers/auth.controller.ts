import {authenticate} from '@loopback/authentication';
import {BindingScope, inject, injectable, service} from '@loopback/core';
import {HeaderObject, HttpErrors, oas, post, Request, requestBody, Response, RestBindings, SchemaObject} from '@loopback/rest';
import {SIGN_IN_COOKIE_SCHEME} from '../authentication/security-schemes.spec-enhancer';
import type {AppConfig} from '../config';
import {AppBindings} from '../keys';
import {OidcClientService, TokenSet} from '../services/identity/oidc-client.service';
import {SIGN_IN_COOKIE, SignInTransactionService} from '../services/identity/sign-in-transaction.service';
import {UserDirectoryService} from '../services/identity/user-directory.service';
import {errorResponseRef} from '../enhancers/error-responses.spec-enhancer';
import {forbidCaching} from '../utils/cache-control.util';
import {parseCookies} from '../utils/cookie.util';
import {jsonAnswer, jsonBody, jsonResponse} from '../kinds/json-spec.helpers';

const TOKEN_SET_SCHEMA: SchemaObject = {
  title: 'TokenSet',
  type: 'object',
  required: ['access_token', 'expires_at', 'expires_in', 'id_token', 'scope', 'token_type'],
  properties: {
    access_token: {type: 'string'},
    expires_at: {type: 'number', description: 'Expiry of the access token, in seconds since the epoch'},
    expires_in: {type: 'number', description: 'Lifetime of the access token in seconds'},
    id_token: {type: 'string'},
    refresh_token: {type: 'string'},
    scope: {type: 'string'},
    token_type: {type: 'string'},
  },
};

const TOKEN = {type: 'string', minLength: 1, maxLength: 8192} as const;

const SIGN_IN_COOKIE_SET: HeaderObject = {
  description:
    `The sign-in cookie (${SIGN_IN_COOKIE}, HttpOnly, SameSite=Lax, Path=/auth below PUBLIC_URL's path, Max-Age AUTH_STATE_TTL): ` +
    'this sign-in\'s PKCE verifier beside those of the client\'s other sign-ins under way. POST /auth/token needs it.',
  schema: {type: 'string'},
};
const SIGN_IN_COOKIE_SPENT: HeaderObject = {
  description: `The sign-in cookie (${SIGN_IN_COOKIE}) without the redeemed sign-in: the client's other sign-ins under way, or expired when none is left.`,
  schema: {type: 'string'},
};

/** Tokens as the provider issues them: the JWTs here are shortened, not valid. */
const TOKEN_SET_EXAMPLE = {
  access_token: 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImV4YW1wbGUifQ.eyJlbWFpbCI6ImJvYkBleGFtcGxlLm9yZyJ9.c2lnbmF0dXJl',
  expires_at: 1772445600,
  expires_in: 300,
  id_token: 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImV4YW1wbGUifQ.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl',
  refresh_token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl',
  scope: 'openid email profile offline_access',
  token_type: 'Bearer',
};

/** Sign-in through the configured OpenID provider (authorization code with PKCE). */
@authenticate.skip()
@oas.tags('Sign-in')
@injectable({scope: BindingScope.SINGLETON})
export class AuthController {
  constructor(
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @service(OidcClientService) private readonly provider: OidcClientService,
    @service(SignInTransactionService)
    private readonly transactions: SignInTransactionService,
    @service(UserDirectoryService) private readonly users: UserDirectoryService,
  ) {}

  @post('/auth/authorize', {operationId: 'startSignIn', summary: 'Start a sign-in at the OpenID provider', responses: {'200': {...jsonAnswer(
      'The URL to send the browser to. Its `state` carries the signed, short-lived sign-in transaction: send it back with the code to POST /auth/token. The answer sets an HttpOnly cookie (path /auth) holding the sign-in\'s PKCE verifier: POST /auth/token succeeds only with it, so only the client that started a sign-in can finish it.',
      {
        title: 'SignInStart',
        type: 'object',
        required: ['authorizationUrl'],
        properties: {authorizationUrl: {type: 'string', format: 'uri'}},
      },
      {
        authorizationUrl:
          'https://login.example.org/realms/lab/protocol/openid-connect/auth?client_id=notebooks-hub&response_type=code&scope=openid%20email%20profile&redirect_uri=https%3A%2F%2Fnotebooks.example.org%2F&state=eyJhbGciOiJIUzI1NiJ9.c3RhdGU.c2lnbmF0dXJl&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256',
      },
    ), headers: {'Set-Cookie': SIGN_IN_COOKIE_SET}}}})
  async authorize(
    @requestBody(
      jsonBody(
        {
          title: 'SignInRequest',
          type: 'object',
          additionalProperties: false,
          properties: {
            redirect_uri: {
              type: 'string',
              description: 'One of OIDC_REDIRECT_URIS; the first one when omitted',
            },
          },
        },
        {},
        false,
      ),
    )
    body: {redirect_uri?: string} = {},
    @inject(RestBindings.Http.REQUEST) request: Request,
    @inject(RestBindings.Http.RESPONSE) response: Response,
  ): Promise<{authorizationUrl: string}> {
    const redirectUri = body.redirect_uri ?? this.config.oidc.redirectUris[0];
    if (!this.config.oidc.redirectUris.includes(redirectUri)) {
      throw new HttpErrors.BadRequest(
        `redirect_uri must be one of the configured OIDC_REDIRECT_URIS: ${this.config.oidc.redirectUris.join(', ')}`,
      );
    }
    const transaction = await this.transactions.begin(redirectUri);
    const authorizationUrl = await this.provider.authorizationUrl(transaction);
    forbidCaching(response);
    response.append('Set-Cookie', this.transactions.bindingCookie(transaction, parseCookies(request.headers.cookie)));
    return {authorizationUrl};
  }

  @post('/auth/token', {
    operationId: 'finishSignIn',
    summary: 'Exchange the redirect\'s code for tokens',
    description: 'Needs the sign-in cookie POST /auth/authorize set (400 `sign_in_not_bound` without it); 403 `email_not_verified` when the tokens do not say the email is verified.',
    security: [{[SIGN_IN_COOKIE_SCHEME]: []}],
    responses: {
      '200': {...jsonAnswer('Tokens for the signed-in user', TOKEN_SET_SCHEMA, TOKEN_SET_EXAMPLE), headers: {'Set-Cookie': SIGN_IN_COOKIE_SPENT}},
      '403': errorResponseRef(403),
    },
  })
  async token(
    @requestBody(
      jsonBody({
        title: 'CodeExchange',
        type: 'object',
        required: ['code', 'state'],
        additionalProperties: false,
        properties: {
          code: {...TOKEN, description: 'The `code` parameter of the redirect'},
          state: {...TOKEN, description: 'The `state` parameter of the redirect'},
          iss: {type: 'string', maxLength: 2048, description: 'The `iss` parameter of the redirect, when the provider sends one'},
        },
      }, {code: 'the code parameter of the redirect', state: 'the state parameter of the redirect'}),
    )
    body: {code: string; state: string; iss?: string},
    @inject(RestBindings.Http.REQUEST) request: Request,
    @inject(RestBindings.Http.RESPONSE) response: Response,
  ): Promise<TokenSet> {
    forbidCaching(response);
    const cookies = parseCookies(request.headers.cookie);
    const transaction = await this.transactions.resume(body.state, cookies);
    // A code is redeemable once, whatever the outcome: its verifier has served.
    response.append('Set-Cookie', this.transactions.redeemedCookie(transaction, cookies));
    const {tokens, idTokenClaims} = await this.provider.exchangeCode({
      ...transaction,
      code: body.code,
      iss: body.iss,
    });
    await this.users.recordSignIn(tokens.access_token, idTokenClaims);
    return tokens;
  }

  @post('/auth/refresh', {
    operationId: 'refreshTokens',
    summary: 'Refresh expired tokens',
    description: '403 `email_not_verified` when the fresh tokens do not say the email is verified: a refresh is held to the rules of a sign-in.',
    responses: {...jsonResponse('Fresh tokens', TOKEN_SET_SCHEMA, TOKEN_SET_EXAMPLE).responses, '403': errorResponseRef(403)},
  })
  async refresh(
    @requestBody(
      jsonBody({
        title: 'TokenRefresh',
        type: 'object',
        required: ['refresh_token'],
        additionalProperties: false,
        properties: {refresh_token: TOKEN},
      }, {refresh_token: 'the refresh_token of /auth/token'}),
    )
    body: {refresh_token: string},
    @inject(RestBindings.Http.RESPONSE) response: Response,
  ): Promise<TokenSet> {
    forbidCaching(response);
    // Fresh tokens are held to the rules of a sign-in: a person whose email is no longer verified gets none.
    const {tokens, idTokenClaims} = await this.provider.refresh(body.refresh_token);
    await this.users.recordSignIn(tokens.access_token, idTokenClaims);
    return tokens;
  }

  @post('/auth/logout', {operationId: 'signOut', summary: 'Get the provider URL that ends the sign-on session', ...jsonResponse(
      'The provider URL that ends the single sign-on session, then returns to OIDC_POST_LOGOUT_REDIRECT_URI',
      {
        title: 'SignOut',
        type: 'object',
        required: ['logoutUrl'],
        properties: {logoutUrl: {type: 'string', format: 'uri'}},
      },
      {
        logoutUrl:
          'https://login.example.org/realms/lab/protocol/openid-connect/logout?id_token_hint=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl&post_logout_redirect_uri=https%3A%2F%2Fnotebooks.example.org%2F',
      },
    )})
  async logout(
    @requestBody(
      jsonBody({
        title: 'SignOutRequest',
        type: 'object',
        required: ['id_token'],
        additionalProperties: false,
        properties: {id_token: TOKEN},
      }, {id_token: 'the id_token of /auth/token'}),
    )
    body: {id_token: string},
  ): Promise<{logoutUrl: string}> {
    return {logoutUrl: await this.provider.logoutUrl(body.id_token)};
  }
}
