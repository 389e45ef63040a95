import {BindingScope, inject, injectable, service} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import jwt from 'jsonwebtoken';
import {createHash, randomBytes, timingSafeEqual} from 'node:crypto';
import path from 'node:path';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {privateCookie} from '../../utils/cookie.util';
import {FileSystemService} from '../files/file-system.service';

export interface SignInTransaction {
  /** The signed value sent to the provider as `state` and echoed back on the redirect. */
  state: string;
  nonce: string;
  redirectUri: string;
  /** PKCE verifier: random per sign-in, kept by the browser that started it in an HttpOnly cookie. */
  codeVerifier: string;
  /** The sign-in's id, naming its verifier in the cookie. */
  id: string;
}

const AUDIENCE = 'notebooks-hub-api/sign-in';
/**
 * The sign-in cookie: one name, which the API description declares (an
 * apiKey in cookie), holding each pending sign-in of the browser as
 * `{id}.{verifier}`, joined by `~`, so sign-ins started in two tabs do not
 * overwrite each other's.
 */
export const SIGN_IN_COOKIE = 'nbh_signin';
const COOKIE_PATH = '/auth';
/** Sign-ins of one browser kept under way at once, the newest: a cookie stays far below browsers' 4 KB. */
const PENDING_KEPT = 5;
const ENTRY = /^([\w-]{1,64})\.([\w-]{1,128})$/;

/**
 * A pending sign-in travels with the user as the OAuth `state`: a short-lived
 * value signed with jsonwebtoken. Any replica holding the same secret can
 * complete it and nothing is kept in memory. The PKCE verifier is random and
 * lives only in an HttpOnly cookie of the browser that started the sign-in;
 * the state holds its hash. Someone who captures `code` and `state` from the
 * redirect (a log, a Referer, a shared screen) has no verifier, so they
 * redeem nothing, and a page that was handed someone else's `code` and
 * `state` (login CSRF) has none either.
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
    const codeVerifier = randomBytes(32).toString('base64url');
    const state = jwt.sign({nonce, redirectUri, vh: hash(codeVerifier)}, secret, {
      algorithm: 'HS256',
      audience: AUDIENCE,
      jwtid: id,
      expiresIn: this.config.authState.ttlSeconds,
    });
    return {state, nonce, redirectUri, codeVerifier, id};
  }

  /** The sign-in `state` names, provided `cookies` hold the verifier of the browser that started it. */
  async resume(state: string, cookies: Map<string, string>): Promise<SignInTransaction> {
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
    const id = String(claims.jti);
    const codeVerifier = pendingOf(cookies).get(id);
    if (codeVerifier === undefined || !sameHash(hash(codeVerifier), String(claims.vh))) {
      throw Object.assign(
        new HttpErrors.BadRequest(
          'This sign-in was not started by this client: its sign-in cookie (set by POST /auth/authorize) is missing or different. Start again with POST /auth/authorize',
        ),
        {code: 'sign_in_not_bound'},
      );
    }
    return {state, nonce: String(claims.nonce), redirectUri: String(claims.redirectUri), codeVerifier, id};
  }

  /** The `Set-Cookie` value that binds the sign-in to the browser starting it, beside the browser's other pending `cookies`. */
  bindingCookie(transaction: SignInTransaction, cookies: Map<string, string>): string {
    const pending = pendingOf(cookies);
    pending.set(transaction.id, transaction.codeVerifier);
    return this.cookieOf([...pending].slice(-PENDING_KEPT));
  }

  /** The `Set-Cookie` value once a sign-in is redeemed: the browser's other pending sign-ins, or none (the cookie dropped). */
  redeemedCookie(transaction: SignInTransaction, cookies: Map<string, string>): string {
    const pending = pendingOf(cookies);
    pending.delete(transaction.id);
    return this.cookieOf([...pending]);
  }

  private cookieOf(pending: Array<[string, string]>): string {
    const value = pending.map(([id, verifier]) => `${id}.${verifier}`).join('~');
    return privateCookie(SIGN_IN_COOKIE, value, this.cookieOptions(pending.length > 0 ? this.config.authState.ttlSeconds : 0));
  }

  private cookieOptions(maxAgeSeconds: number) {
    // Behind a proxy serving the API under a path, browsers see /auth below it.
    const base = new URL(this.config.publicUrl).pathname.replace(/\/+$/, '');
    return {path: base + COOKIE_PATH, maxAgeSeconds, secure: this.config.publicUrl.startsWith('https:')};
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

/** The pending sign-ins the request's cookie holds, oldest first, by id; what is not an entry is left out. */
function pendingOf(cookies: Map<string, string>): Map<string, string> {
  const entries = (cookies.get(SIGN_IN_COOKIE) ?? '').split('~').slice(-PENDING_KEPT);
  return new Map(entries.map(entry => ENTRY.exec(entry)).flatMap(match => (match ? [[match[1], match[2]] as [string, string]] : [])));
}

function hash(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
