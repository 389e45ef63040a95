import {BindingScope, inject, injectable, service} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import {createRemoteJWKSet, errors as joseErrors, JWTPayload, jwtVerify} from 'jose';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {OidcClientService, providerError} from './oidc-client.service';
import {peerError} from '../../utils/api-error.util';

/** Signature algorithms a provider may use; symmetric ones and `none` are refused. */
const ACCEPTED_ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512', 'EdDSA',
];

type KeySet = ReturnType<typeof createRemoteJWKSet>;

/**
 * Verifies access tokens offline against the provider's JWKS: signature,
 * issuer, audience and expiry. Keys are cached; a token signed with an
 * unknown `kid` makes jose refetch the set (at most once per cooldown).
 */
@injectable({scope: BindingScope.SINGLETON})
export class AccessTokenVerifierService {
  private readonly oidc: AppConfig['oidc'];
  private keySet?: Promise<KeySet>;

  constructor(
    @inject(AppBindings.CONFIG) config: AppConfig,
    @service(OidcClientService) private readonly provider: OidcClientService,
  ) {
    this.oidc = config.oidc;
  }

  async verify(token: string): Promise<JWTPayload> {
    const keys = await this.keys();
    let payload: JWTPayload;
    try {
      ({payload} = await jwtVerify(token, keys, {
        issuer: this.oidc.issuer,
        audience: this.oidc.audience,
        algorithms: ACCEPTED_ALGORITHMS,
        clockTolerance: this.oidc.clockToleranceSeconds,
        requiredClaims: ['exp', 'iat'],
      }));
    } catch (err) {
      throw verificationError(err);
    }
    // An ID token names the same audience when OIDC_AUDIENCE is the client id;
    // it proves a sign-in to the client, it does not authorise API calls.
    if (payload.nonce !== undefined || payload.at_hash !== undefined || payload.typ === 'ID') {
      throw invalidToken('an ID token is not an access token');
    }
    return payload;
  }

  private keys(): Promise<KeySet> {
    this.keySet ??= this.provider.serverMetadata().then(
      metadata => {
        if (!metadata.jwks_uri) {
          throw peerError('identity_provider', new HttpErrors.BadGateway(
            'The identity provider publishes no jwks_uri, so tokens cannot be verified',
          ));
        }
        return createRemoteJWKSet(new URL(metadata.jwks_uri), {
          cooldownDuration: this.oidc.jwksCooldownSeconds * 1000,
          cacheMaxAge: this.oidc.jwksCacheMaxAgeSeconds * 1000,
          timeoutDuration: this.oidc.httpTimeoutMs,
        });
      },
      err => {
        this.keySet = undefined;
        throw err;
      },
    );
    return this.keySet;
  }
}

function invalidToken(reason: string): HttpErrors.HttpError {
  return Object.assign(
    new HttpErrors.Unauthorized(`Invalid access token: ${reason}`),
    {headers: {'WWW-Authenticate': 'Bearer error="invalid_token"'}},
  );
}

function verificationError(err: unknown): Error {
  if (err instanceof joseErrors.JWTExpired) return invalidToken('it has expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return invalidToken(`the "${err.claim}" claim is not accepted`);
  }
  if (err instanceof joseErrors.JWKSNoMatchingKey) {
    return invalidToken('no key of the identity provider matches its signature');
  }
  if (err instanceof joseErrors.JWKSTimeout) {
    return peerError('identity_provider', new HttpErrors.GatewayTimeout(
      'The identity provider did not send its keys in time',
    ));
  }
  if (
    err instanceof joseErrors.JOSEAlgNotAllowed ||
    err instanceof joseErrors.JWSSignatureVerificationFailed ||
    err instanceof joseErrors.JWSInvalid ||
    err instanceof joseErrors.JWTInvalid ||
    err instanceof joseErrors.JOSENotSupported ||
    err instanceof joseErrors.JWKSMultipleMatchingKeys
  ) {
    return invalidToken('its signature or format is not valid');
  }
  if (err instanceof joseErrors.JWKSInvalid) {
    return peerError('identity_provider', new HttpErrors.BadGateway('The identity provider sent an invalid key set'));
  }
  return providerError(err, 'send its signing keys');
}
