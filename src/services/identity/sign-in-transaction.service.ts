import {BindingScope, inject, injectable, service} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import jwt from 'jsonwebtoken';
import {createHmac, randomBytes} from 'node:crypto';
import path from 'node:path';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {FileSystemService} from '../files/file-system.service';

export interface SignInTransaction {
  /** The signed value sent to the provider as `state` and echoed back on the redirect. */
  state: string;
  nonce: string;
  redirectUri: string;
  /** PKCE verifier: derived from the state's id and the secret, never sent to the browser. */
  codeVerifier: string;
}

const AUDIENCE = 'notebooks-hub-api/sign-in';

/**
 * A pending sign-in travels with the user as the OAuth `state`: a short-lived
 * value signed with jsonwebtoken. Any replica holding the same secret can
 * complete it and nothing is kept in memory. The PKCE verifier is an HMAC of
 * the state's id, so it never leaves the API.
 */
@injectable({scope: BindingScope.SINGLETON})
export class SignInTransactionService {
  private secret?: Promise<string>;

  constructor(
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @service(FileSystemService) private readonly files: FileSystemService,
  ) {}

  async begin(redirectUri: string): Promise<SignInTransaction> {
    const secret = await this.signingSecret();
    const id = randomBytes(16).toString('base64url');
    const nonce = randomBytes(16).toString('base64url');
    const state = jwt.sign({nonce, redirectUri}, secret, {
      algorithm: 'HS256',
      audience: AUDIENCE,
      jwtid: id,
      expiresIn: this.config.authState.ttlSeconds,
    });
    return {state, nonce, redirectUri, codeVerifier: verifierFor(secret, id)};
  }

  async resume(state: string): Promise<SignInTransaction> {
    const secret = await this.signingSecret();
    let claims: jwt.JwtPayload;
    try {
      claims = jwt.verify(state, secret, {
        algorithms: ['HS256'],
        audience: AUDIENCE,
      }) as jwt.JwtPayload;
    } catch (err) {
      const expired = err instanceof jwt.TokenExpiredError;
      throw new HttpErrors.BadRequest(
        `The sign-in state is ${expired ? 'expired' : 'not valid'}: start again with POST /auth/authorize`,
      );
    }
    return {
      state,
      nonce: String(claims.nonce),
      redirectUri: String(claims.redirectUri),
      codeVerifier: verifierFor(secret, String(claims.jti)),
    };
  }

  private signingSecret(): Promise<string> {
    this.secret ??= this.config.authState.secret
      ? Promise.resolve(this.config.authState.secret)
      : // Development only: kept in the data folder so sign-ins survive a restart.
        this.files
          .readOrCreatePrivate(path.join(this.config.dataDir, 'sign-in.secret'), () => randomBytes(48).toString('base64url'))
          .then(secret => secret.trim());
    return this.secret;
  }
}

function verifierFor(secret: string, transactionId: string): string {
  return createHmac('sha256', secret).update(`pkce:${transactionId}`).digest('base64url');
}
