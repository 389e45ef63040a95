import {expect} from '@loopback/testlab';
import {eventually} from '../fixtures/eventually';
import {freePort} from '../fixtures/free-port';
import {HeadlessBrowser} from '../fixtures/headless-browser';
import {JupyterHubHarness} from '../fixtures/jupyterhub-harness';
import {RunningApp, startApp} from '../fixtures/test-app';

interface HubUserWithAuthState {
  name: string;
  auth_state?: {access_token: string; refresh_token: string; id_token: string; oauth_user: Record<string, unknown>};
}

/**
 * The hub's sign-in as the product configures it (oauthenticator's
 * GenericOAuthenticator with notebooks_hub_spawner.sign_in's policy), on a
 * real JupyterHub, at the API's embedded OpenID provider: /hub/oauth_login,
 * the provider's login page at /oidc, the hub's callback.
 */
describe("Signing in at the hub through the API's embedded OpenID provider", () => {
  let hub: JupyterHubHarness;
  let api: RunningApp;

  before(async () => {
    hub = await JupyterHubHarness.prepare();
    const port = await freePort();
    const apiUrl = `http://127.0.0.1:${port}`;
    // One client (public, PKCE) for the API's pages and the hub, as the local stack registers it.
    api = await startApp({PORT: String(port), PUBLIC_URL: apiUrl, OIDC_REDIRECT_URIS: `${apiUrl}/,${hub.callbackUrl}`});
    await hub.launch({issuer: `${apiUrl}/oidc`, clientId: 'notebooks-hub', refreshAgeSeconds: 1});
  });

  after(async () => {
    await hub?.stop();
    await api?.stop();
  });

  const hubUser = async (name: string) => hub.api<HubUserWithAuthState>('GET', `/users/${encodeURIComponent(name)}`);

  it('sends the browser to the provider with a PKCE challenge, and names the person by their email claim', async () => {
    const login = await fetch(`${hub.publicUrl}/hub/oauth_login`, {redirect: 'manual'});
    const authorize = new URL(login.headers.get('location')!);
    expect(`${authorize.origin}${authorize.pathname}`).to.equal(`${api.url}/oidc/auth`);
    expect(Object.fromEntries(authorize.searchParams)).to.containDeep({
      client_id: 'notebooks-hub',
      redirect_uri: hub.callbackUrl,
      response_type: 'code',
      code_challenge_method: 'S256',
    });
    expect(authorize.searchParams.get('code_challenge')).to.match(/^[\w-]{43}$/);

    const browser = new HeadlessBrowser();
    await hub.signInAs(browser, 'bob@example.org');
    const home = await browser.open(`${hub.publicUrl}/hub/home`);
    expect(home.status).to.equal(200);
    expect(home.url).to.equal(`${hub.publicUrl}/hub/home`);
    expect(home.body).to.containEql('bob@example.org');
    const {status, body} = await hubUser('bob@example.org');
    expect(status).to.equal(200);
    expect(body.auth_state?.oauth_user).to.containDeep({email: 'bob@example.org', email_verified: true});
    expect(body.auth_state?.refresh_token).to.be.a.String();
  });

  it("refreshes a signed-in person's tokens at the provider once their sign-in is older than the refresh age", async () => {
    const browser = new HeadlessBrowser();
    await hub.signInAs(browser, 'carol@example.org');
    const before = (await hubUser('carol@example.org')).body.auth_state!;
    await eventually('the hub refreshed her tokens', async () => {
      expect((await browser.open(`${hub.publicUrl}/hub/home`)).status).to.equal(200);
      const now = (await hubUser('carol@example.org')).body.auth_state!;
      return now.access_token !== before.access_token && now.id_token !== before.id_token;
    });
    const after = (await hubUser('carol@example.org')).body.auth_state!;
    expect(after.oauth_user).to.containDeep({email: 'carol@example.org', email_verified: true});
    expect((await browser.open(`${hub.publicUrl}/hub/home`)).body).to.containEql('carol@example.org');
  });

  it('refuses a person whose email address the provider has not verified, with 403, and makes no hub user', async () => {
    const browser = new HeadlessBrowser();
    const {url} = await browser.navigate(`${hub.publicUrl}/hub/oauth_login`, hub.callbackUrl, {
      login: 'erin@example.org',
      password: 'any password',
    });
    const callback = await browser.open(url.href);
    expect(callback.status).to.equal(403);
    expect(callback.body).to.match(/email address is not verified/);
    expect((await hubUser('erin@example.org')).status).to.equal(404);
    // Not signed in at the hub: its home sends her to the provider again (auto_login), whose answer the hub refuses once more.
    const home = await browser.open(`${hub.publicUrl}/hub/home`);
    expect(home.url).to.match(/\/hub\/oauth_callback\?/);
    expect(home.status).to.equal(403);
  });

  it('keeps the tokens of a hub user the API made, who never signed in at the hub, working past the refresh age', async () => {
    const person = 'dave@partner.org';
    expect((await hub.api('POST', `/users/${person}`)).status).to.equal(201);
    const made = await hub.api<{token: string}>('POST', `/users/${person}/tokens`, {note: 'reaches their servers', expires_in: 600});
    expect(made.status).to.equal(201);
    await new Promise(resolve => setTimeout(resolve, 1500));
    const whoami = await fetch(`${hub.apiUrl}/user`, {headers: {Authorization: `token ${made.body.token}`}});
    expect(whoami.status).to.equal(200);
    expect(((await whoami.json()) as {name: string}).name).to.equal(person);
  });
});
