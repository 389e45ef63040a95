import {expect, supertest} from '@loopback/testlab';
import {freePort} from '../fixtures/free-port';
import {authorizeInBrowser, signIn} from '../fixtures/sign-in';
import {RunningApp, startApp} from '../fixtures/test-app';
import {TestIdentityProvider} from '../fixtures/test-identity-provider';

describe('Sign-in through a real OpenID provider configured by OIDC_ISSUER', () => {
  let provider: TestIdentityProvider;
  let api: RunningApp;
  let client: supertest.SuperTest<supertest.Test>;
  /** The provider reads this list at each token it issues: a person can lose their verified email mid-session. */
  const unverifiedEmails = ['carol@example.org'];

  before(async () => {
    const port = await freePort();
    const apiUrl = `http://127.0.0.1:${port}`;
    provider = await TestIdentityProvider.start({
      clientId: 'notebooks-hub',
      audience: 'notebooks-hub',
      redirectUris: [`${apiUrl}/`],
      postLogoutRedirectUris: [`${apiUrl}/`],
      unverifiedEmails,
    });
    api = await startApp({
      PORT: String(port),
      PUBLIC_URL: apiUrl,
      OIDC_ISSUER: provider.issuer,
      OIDC_JWKS_COOLDOWN: '0',
      OIDC_ADMIN_VALUES: 'admin',
    });
    client = supertest(api.url);
  });

  after(async () => {
    await api?.stop();
    await provider?.stop();
  });

  it('signs in with the authorization code and PKCE, and /whoami reads the access token', async () => {
    const tokens = await signIn(api.url, 'alice@example.org');
    expect(tokens).to.containDeep({token_type: 'bearer'});
    expect(tokens.access_token).to.match(/^ey/);
    expect(tokens.id_token).to.match(/^ey/);
    expect(tokens.refresh_token).to.be.a.String();
    expect(tokens.expires_at).to.be.approximately(Math.floor(Date.now() / 1000) + tokens.expires_in, 5);

    const whoami = await client
      .get('/whoami')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .expect(200);
    expect(whoami.body).to.deepEqual({
      email: 'alice@example.org',
      username: 'alice@example.org',
      name: 'Alice Admin',
      organisation: 'example.org',
      admin: true,
    });
    await client
      .get('/authenticated')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .expect(200, {authenticated: true, email: 'alice@example.org'});
  });

  it('gives a non-admin user admin false', async () => {
    const tokens = await signIn(api.url, 'dave@partner.org');
    const whoami = await client.get('/whoami').set('Authorization', `Bearer ${tokens.access_token}`).expect(200);
    expect(whoami.body).to.containDeep({email: 'dave@partner.org', organisation: 'partner.org', admin: false});
  });

  it('refreshes tokens with the refresh token', async () => {
    const tokens = await signIn(api.url, 'bob@example.org');
    const refreshed = await client
      .post('/auth/refresh')
      .send({refresh_token: tokens.refresh_token})
      .expect(200);
    expect(refreshed.body.access_token).to.not.equal(tokens.access_token);
    await client
      .get('/whoami')
      .set('Authorization', `Bearer ${refreshed.body.access_token}`)
      .expect(200);
  });

  it('refuses an unknown refresh token with 400 and a JSON error', async () => {
    const res = await client.post('/auth/refresh').send({refresh_token: 'not-a-refresh-token'}).expect(400);
    expect(res.body.error).to.containDeep({statusCode: 400});
    expect(res.body.error.message).to.match(/identity provider refused/);
  });

  it('answers a logout URL at the provider end_session_endpoint', async () => {
    const tokens = await signIn(api.url, 'bob@example.org');
    const res = await client.post('/auth/logout').send({id_token: tokens.id_token}).expect(200);
    const logoutUrl = new URL(res.body.logoutUrl);
    expect(logoutUrl.origin + logoutUrl.pathname).to.equal(`${provider.issuer}/session/end`);
    expect(logoutUrl.searchParams.get('id_token_hint')).to.equal(tokens.id_token);
    expect(logoutUrl.searchParams.get('post_logout_redirect_uri')).to.equal(`${api.url}/`);
  });

  it('puts state, nonce and an S256 PKCE challenge in the authorization URL', async () => {
    const res = await client.post('/auth/authorize').send({}).expect(200);
    const url = new URL(res.body.authorizationUrl);
    expect(url.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(url.searchParams.get('code_challenge')).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).to.match(/^ey/);
    expect(url.searchParams.get('nonce')).to.be.a.String();
    expect(url.searchParams.get('redirect_uri')).to.equal(`${api.url}/`);
    expect(res.body.authorizationUrl).to.not.match(/code_verifier/);
  });

  it('refuses a redirect_uri that is not configured', async () => {
    const res = await client.post('/auth/authorize').send({redirect_uri: 'https://evil.example/'}).expect(400);
    expect(res.body.error.message).to.match(/OIDC_REDIRECT_URIS/);
  });

  it('refuses a tampered sign-in state without calling the provider', async () => {
    const {code, state} = await authorizeInBrowser(api.url, 'bob@example.org');
    const [header, payload, signature] = state.split('.');
    const forged = JSON.parse(Buffer.from(payload, 'base64url').toString());
    forged.nonce = 'attacker-nonce';
    const tampered = [header, Buffer.from(JSON.stringify(forged)).toString('base64url'), signature].join('.');
    const res = await client.post('/auth/token').send({code, state: tampered}).expect(400);
    expect(res.body.error.message).to.match(/sign-in state is not valid/);
  });

  it('refuses a code exchanged twice', async () => {
    const {code, state, iss, cookie} = await authorizeInBrowser(api.url, 'bob@example.org');
    // Tokens no cache may keep.
    await client.post('/auth/token').set('Cookie', cookie).send({code, state, iss}).expect(200).expect('Cache-Control', 'no-store');
    await client.post('/auth/token').set('Cookie', cookie).send({code, state, iss}).expect(400);
  });

  describe('binding to the client that started the sign-in', () => {
    it('sets an HttpOnly, SameSite cookie on /auth holding the sign-in\'s id and PKCE verifier, never in the authorization URL', async () => {
      const res = await client.post('/auth/authorize').send({}).expect(200);
      const [cookie] = res.headers['set-cookie'] as unknown as string[];
      expect(cookie).to.match(/^nbh_signin=[\w-]{22}\.[\w-]{43}; Path=\/auth; Max-Age=600; HttpOnly; SameSite=Lax$/);
      const verifier = cookie.split(';')[0].split('.')[1];
      expect(res.body.authorizationUrl).to.not.containEql(verifier);
      expect(res.headers['cache-control']).to.equal('no-store');
    });

    it('gives every sign-in a verifier of its own', async () => {
      const verifiers = await Promise.all(
        [1, 2, 3].map(async () => {
          const res = await client.post('/auth/authorize').send({}).expect(200);
          return (res.headers['set-cookie'] as unknown as string[])[0].split(';')[0].split('.')[1];
        }),
      );
      expect(new Set(verifiers).size).to.equal(3);
    });

    it('refuses a captured code and state redeemed from another client: without the cookie, and with another sign-in\'s', async () => {
      const victim = await authorizeInBrowser(api.url, 'bob@example.org');
      const attacker = await authorizeInBrowser(api.url, 'dave@partner.org');
      const captured = {code: victim.code, state: victim.state, iss: victim.iss};

      const bare = await client.post('/auth/token').send(captured).expect(400);
      expect(bare.body.error.code).to.equal('sign_in_not_bound');
      expect(bare.body.error.message).to.match(/not started by this client/);
      // The attacker's own verifier, under the victim's sign-in id: it does not match the state.
      const [, attackerVerifier] = attacker.cookie.split('.');
      const [victimEntry] = victim.cookie.split('.');
      const forged = await client.post('/auth/token').set('Cookie', `${victimEntry}.${attackerVerifier}`).send(captured).expect(400);
      expect(forged.body.error.code).to.equal('sign_in_not_bound');
      const otherCookie = await client.post('/auth/token').set('Cookie', attacker.cookie).send(captured).expect(400);
      expect(otherCookie.body.error.code).to.equal('sign_in_not_bound');

      // The browser that started it still can: the refusals spent nothing.
      const tokens = await client.post('/auth/token').set('Cookie', victim.cookie).send(captured).expect(200);
      const whoami = await client.get('/whoami').set('Authorization', `Bearer ${tokens.body.access_token}`).expect(200);
      expect(whoami.body.email).to.equal('bob@example.org');
      // And the cookie is dropped once it has served.
      const [cleared] = tokens.headers['set-cookie'] as unknown as string[];
      expect(cleared).to.equal('nbh_signin=; Path=/auth; Max-Age=0; HttpOnly; SameSite=Lax');
    });

    it('keeps the sign-ins one browser started in two tabs apart in its one cookie, each finishing once', async () => {
      // The second tab's start carries the cookie the first one's set, as a browser sends it.
      const first = await authorizeInBrowser(api.url, 'bob@example.org');
      const second = await authorizeInBrowser(api.url, 'bob@example.org', undefined, first.cookie);
      expect(second.cookie.split('~')).to.have.length(2);
      expect(second.cookie.startsWith(first.cookie)).to.be.true();

      const finished = await client.post('/auth/token').set('Cookie', second.cookie).send({code: first.code, state: first.state, iss: first.iss}).expect(200);
      // The first sign-in's verifier goes; the second's stays, so that tab still finishes.
      const [left] = finished.headers['set-cookie'] as unknown as string[];
      const remaining = left.split(';')[0];
      expect(remaining).to.equal(`nbh_signin=${second.cookie.split('~')[1]}`);
      await client.post('/auth/token').set('Cookie', remaining).send({code: first.code, state: first.state, iss: first.iss}).expect(400);
      await client.post('/auth/token').set('Cookie', remaining).send({code: second.code, state: second.state, iss: second.iss}).expect(200);
    });

    it('keeps the newest five sign-ins under way in the cookie', async () => {
      let cookie = '';
      for (let started = 0; started < 7; started++) {
        const res = await client.post('/auth/authorize').set('Cookie', cookie).send({}).expect(200);
        cookie = (res.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
      }
      expect(cookie.split('~')).to.have.length(5);
    });
  });

  describe('email_verified', () => {
    it('refuses a sign-in whose ID token says the email is not verified', async () => {
      const {code, state, iss, cookie} = await authorizeInBrowser(api.url, 'carol@example.org');
      const res = await client.post('/auth/token').set('Cookie', cookie).send({code, state, iss}).expect(403);
      expect(res.body.error).to.containDeep({code: 'email_not_verified', statusCode: 403});
    });

    it('refuses an access token that says the email is not verified, or does not say it is, on every route', async () => {
      const unverified = await provider.sign(provider.accessTokenClaims('bob@example.org', {email_verified: false}));
      const claimsWithout = provider.accessTokenClaims('bob@example.org');
      delete claimsWithout.email_verified;
      const withoutClaim = await provider.sign(claimsWithout);
      for (const token of [unverified, withoutClaim]) {
        for (const route of ['/whoami', '/datasets', '/templates', '/servers', '/secrets']) {
          const res = await client.get(route).set('Authorization', `Bearer ${token}`).expect(403);
          expect(res.body.error.code).to.equal('email_not_verified');
        }
      }
      await client.get('/whoami').set('Authorization', `Bearer ${await provider.sign(provider.accessTokenClaims('bob@example.org'))}`).expect(200);
    });

    it('refuses to refresh the tokens of a person whose email is no longer verified', async () => {
      const tokens = await signIn(api.url, 'dave@partner.org');
      unverifiedEmails.push('dave@partner.org');
      try {
        const res = await client.post('/auth/refresh').send({refresh_token: tokens.refresh_token}).expect(403);
        expect(res.body.error.code).to.equal('email_not_verified');
        expect(res.body).to.not.have.property('access_token');
      } finally {
        unverifiedEmails.pop();
      }
    });
  });

  it('refuses a token request without a code as 400 naming the field', async () => {
    const res = await client.post('/auth/token').send({state: 'x'}).expect(400);
    expect(JSON.stringify(res.body.error.details)).to.match(/code/);
  });

  describe('access tokens', () => {
    const call = (token: string) =>
      client.get('/whoami').set('Authorization', `Bearer ${token}`);

    it('accepts a well-formed token signed by the provider (control for the cases below)', async () => {
      await call(await provider.sign(provider.accessTokenClaims('bob@example.org'))).expect(200);
    });

    it('refuses a request without a token with 401 and WWW-Authenticate', async () => {
      const res = await client.get('/whoami').expect(401);
      expect(res.headers['www-authenticate']).to.equal('Bearer');
      expect(res.body.error).to.containDeep({statusCode: 401, name: 'UnauthorizedError'});
    });

    it('refuses an expired token', async () => {
      const past = Math.floor(Date.now() / 1000) - 3600;
      const res = await call(
        await provider.sign(provider.accessTokenClaims('bob@example.org', {iat: past - 600, exp: past})),
      ).expect(401);
      expect(res.body.error.message).to.match(/expired/);
    });

    it('refuses a token for another audience', async () => {
      await call(
        await provider.sign(provider.accessTokenClaims('bob@example.org', {aud: 'another-api'})),
      ).expect(401);
    });

    it('refuses a token from another issuer', async () => {
      await call(
        await provider.sign(provider.accessTokenClaims('bob@example.org', {iss: 'https://elsewhere.example'})),
      ).expect(401);
    });

    it('refuses an unsigned token (alg none)', async () => {
      const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
      const unsigned = `${encode({alg: 'none', typ: 'JWT'})}.${encode(provider.accessTokenClaims('alice@example.org'))}.`;
      await call(unsigned).expect(401);
    });

    it('refuses a tampered token', async () => {
      const token = await provider.sign(provider.accessTokenClaims('bob@example.org'));
      const [header, payload, signature] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      claims.email = 'alice@example.org';
      const tampered = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
      await call(tampered).expect(401);
    });

    it('refuses a token signed with a key the provider never published', async () => {
      const {generateSigningKey} = await import('../../src/services/identity/development-identity-provider.service.js');
      await call(
        await provider.sign(provider.accessTokenClaims('bob@example.org'), {key: generateSigningKey()}),
      ).expect(401);
    });

    it('refuses an ID token used as an access token', async () => {
      const tokens = await signIn(api.url, 'bob@example.org');
      await call(tokens.id_token).expect(401);
    });

    it('refuses a token without an email claim', async () => {
      const claims = provider.accessTokenClaims('bob@example.org');
      delete claims.email;
      const res = await call(await provider.sign(claims)).expect(401);
      expect(res.body.error.message).to.match(/email/);
    });

    it('refuses a malformed Authorization header', async () => {
      await client.get('/whoami').set('Authorization', 'Basic Ym9iOnNlY3JldA==').expect(401);
    });

    it('accepts a token whose kid is new after key rotation, once the JWKS is refetched', async () => {
      const before = await signIn(api.url, 'dave@partner.org');
      await call(before.access_token).expect(200);
      const fresh = await provider.rotateKeys();
      const after = await signIn(api.url, 'dave@partner.org');
      const header = JSON.parse(Buffer.from(after.access_token.split('.')[0], 'base64url').toString());
      expect(header.kid).to.equal(fresh.kid);
      await call(after.access_token).expect(200);
    });
  });
});
