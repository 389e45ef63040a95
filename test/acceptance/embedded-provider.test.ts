import {expect, supertest} from '@loopback/testlab';
import {signIn} from '../fixtures/sign-in';
import {RunningApp, startApp} from '../fixtures/test-app';
import {forSuite} from '../fixtures/for-suite';

describe('The embedded development provider (no OIDC_ISSUER configured)', () => {
  let api: RunningApp;

  forSuite(() => startApp(), started => (api = started));

  it('serves OpenID discovery under /oidc of the API itself', async () => {
    const res = await supertest(api.url).get('/oidc/.well-known/openid-configuration').expect(200);
    expect(res.body.issuer).to.equal(`${api.url}/oidc`);
    expect(res.body.code_challenge_methods_supported).to.deepEqual(['S256']);
  });

  it('signs a documented test user in, and /whoami answers with the access token', async () => {
    const tokens = await signIn(api.url, 'carol@example.org');
    const whoami = await supertest(api.url)
      .get('/whoami')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .expect(200);
    expect(whoami.body).to.containDeep({email: 'carol@example.org', admin: false, organisation: 'example.org'});
  });

  it('refuses a login that is not one of the test users', async () => {
    await expect(signIn(api.url, 'mallory@evil.example')).to.be.rejected();
  });

  it('keeps its signing keys across a restart, so issued tokens stay valid', async () => {
    const tokens = await signIn(api.url, 'bob@example.org');
    const {dataDir} = api;
    const port = new URL(api.url).port;
    await api.stop();
    api = await startApp({DATA_DIR: dataDir, PORT: port, PUBLIC_URL: `http://127.0.0.1:${port}`});
    await supertest(api.url)
      .get('/whoami')
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .expect(200);
  });
});
