"""The OpenID Connect sign-in, against a small provider running in a thread:
the authorization URL, the code exchange with PKCE, every ID token check,
the https rule, discovery, and the handlers' state cookie."""

import asyncio
import base64
import hashlib
import json
import secrets
import time
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlparse
from urllib.request import HTTPErrorProcessor, build_opener

import pytest
from jupyterhub.objects import Hub
from tornado import web
from tornado.testing import AsyncHTTPTestCase
from traitlets.config import Config

from helpers import JsonHandler, LoopbackServer

from notebooks_hub_spawner import auth
from notebooks_hub_spawner.auth import (LoginFlow, LoginRefused, NotebooksHubOIDCAuthenticator,
                                        OIDCCallbackHandler, OIDCLoginHandler, pkce_challenge)

CLIENT_ID = "jupyterhub"
CALLBACK = "http://127.0.0.1:8000/hub/oauth_callback"


def run(coro):
    return asyncio.run(coro)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_jwt(claims: dict) -> str:
    """Well-formed but unsigned: the authenticator must not need the signature."""
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}.{b64url(b'not-a-signature')}"


class FakeProvider(LoopbackServer):
    """Discovery, an auto-consenting authorize endpoint, a token endpoint that
    checks the code, PKCE verifier, redirect_uri and client, and userinfo."""

    def __init__(self, client_secret=""):
        self.client_secret = client_secret
        self.codes = {}  # code -> what the authorization request bound to it
        self.id_claims = {}  # overrides of the ID token's claims (None removes one)
        self.userinfo = None  # None: userinfo refuses the token, as the API's provider may
        self.discovery_issuer = None  # None: the real issuer
        self.token_requests = []
        provider = self

        class Handler(JsonHandler):
            def do_GET(self):  # noqa: N802 (http.server naming)
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/oidc/.well-known/openid-configuration":
                    self.reply(200, provider.discovery())
                elif url.path == "/oidc/auth":
                    code = provider.issue_code(query["code_challenge"], query["nonce"],
                                               query["redirect_uri"], query["client_id"])
                    target = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                elif url.path == "/oidc/me":
                    ok = provider.userinfo is not None and self.headers.get("Authorization") == "Bearer access-123"
                    self.reply(200, provider.userinfo) if ok else self.reply(401, {"error": "invalid_token"})
                else:
                    self.reply(404, {"error": "not_found"})

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.token_requests.append(form)
                status, body = provider.token(form)
                self.reply(status, body)

        super().__init__(Handler)
        self.issuer = f"{self.url}/oidc"

    def discovery(self):
        return {
            "issuer": self.discovery_issuer or self.issuer,
            "authorization_endpoint": self.issuer + "/auth",
            "token_endpoint": self.issuer + "/token",
            "userinfo_endpoint": self.issuer + "/me",
            "code_challenge_methods_supported": ["S256"],
        }

    def issue_code(self, challenge, nonce, redirect_uri=CALLBACK, client_id=CLIENT_ID):
        code = secrets.token_urlsafe(16)
        self.codes[code] = dict(challenge=challenge, nonce=nonce, redirect_uri=redirect_uri, client_id=client_id)
        return code

    def token(self, form):
        bound = self.codes.pop(form.get("code"), None)  # one use only
        if form.get("grant_type") != "authorization_code" or bound is None:
            return 400, {"error": "invalid_grant"}
        if form.get("client_id") != bound["client_id"] or form.get("client_secret", "") != self.client_secret:
            return 401, {"error": "invalid_client"}
        if form.get("redirect_uri") != bound["redirect_uri"]:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        if b64url(hashlib.sha256(verifier.encode()).digest()) != bound["challenge"]:
            return 400, {"error": "invalid_grant"}
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "sub": "ann@lab.org", "exp": time.time() + 300,
                  "iat": time.time(), "nonce": bound["nonce"], "email": "  Ann@Lab.ORG ",
                  "email_verified": True, "roles": []}
        for key, value in self.id_claims.items():
            if value is None:
                claims.pop(key, None)
            else:
                claims[key] = value
        return 200, {"access_token": "access-123", "token_type": "Bearer", "expires_in": 300,
                     "id_token": fake_jwt(claims)}


@pytest.fixture
def provider():
    with FakeProvider() as p:
        yield p


def make_auth(issuer, **config):
    c = Config()
    settings = dict(issuer=issuer, client_id=CLIENT_ID, callback_url=CALLBACK)
    settings.update(config)
    for key, value in settings.items():
        setattr(c.NotebooksHubOIDCAuthenticator, key, value)
    return NotebooksHubOIDCAuthenticator(config=c)


def sign_in(authenticator, provider, nonce="nonce-1"):
    """A code as the provider would issue it after the redirect, then the exchange."""
    verifier = secrets.token_urlsafe(64)
    code = provider.issue_code(pkce_challenge(verifier), nonce)
    return run(authenticator.exchange(code, verifier, nonce))


def refusal(authenticator, provider, **id_claims):
    provider.id_claims = id_claims
    with pytest.raises(LoginRefused) as exc:
        sign_in(authenticator, provider)
    assert exc.value.status_code == 403
    return exc.value.message


# --- Configuration -------------------------------------------------------------

def test_traits_default_from_the_environment(monkeypatch):
    monkeypatch.setenv("NOTEBOOKS_HUB_OIDC_ISSUER", "https://id.example.org/oidc")
    monkeypatch.setenv("NOTEBOOKS_HUB_OIDC_CLIENT_ID", "hub")
    monkeypatch.setenv("NOTEBOOKS_HUB_OIDC_CLIENT_SECRET", "s3cret")
    monkeypatch.setenv("NOTEBOOKS_HUB_OIDC_CALLBACK_URL", "https://hub.example.org/hub/oauth_callback")
    a = NotebooksHubOIDCAuthenticator()
    assert (a.issuer, a.client_id, a.client_secret, a.callback_url) == (
        "https://id.example.org/oidc", "hub", "s3cret", "https://hub.example.org/hub/oauth_callback")
    assert a.scope == ["openid", "email", "profile"] and a.username_claim == "email"
    assert a.login_service == "Notebooks Hub"
    assert a.login_url("/hub/") == "/hub/oauth_login"
    assert a.get_handlers(None) == [(r"/oauth_login", OIDCLoginHandler), (r"/oauth_callback", OIDCCallbackHandler)]


def test_missing_settings_are_named():
    with pytest.raises(LoginRefused) as exc:
        run(NotebooksHubOIDCAuthenticator(issuer="", client_id="", callback_url="").provider_config())
    assert "NOTEBOOKS_HUB_OIDC_ISSUER" in exc.value.message
    assert "NOTEBOOKS_HUB_OIDC_CALLBACK_URL" in exc.value.message


@pytest.mark.parametrize("issuer,allow_http,ok", [
    ("https://id.example.org/oidc", False, True),
    ("http://localhost:3000/oidc", False, True),
    ("http://127.0.0.1:3000/oidc", False, True),
    ("http://[::1]:3000/oidc", False, True),
    ("http://id.example.org/oidc", False, False),
    ("http://id.example.org/oidc", True, True),
    ("ftp://id.example.org/oidc", True, False),
])
def test_plain_http_issuer_only_on_loopback_or_when_allowed(issuer, allow_http, ok):
    a = make_auth(issuer, allow_http=allow_http)
    if ok:
        a.check_config()
    else:
        with pytest.raises(LoginRefused, match="must be an https URL"):
            a.check_config()


def test_discovery_of_another_issuer_is_refused(provider):
    provider.discovery_issuer = "http://127.0.0.1:1/evil"
    with pytest.raises(LoginRefused, match="calls itself 'http://127.0.0.1:1/evil'"):
        run(make_auth(provider.issuer).provider_config())


def test_discovery_is_fetched_once(provider):
    a = make_auth(provider.issuer)
    first = run(a.provider_config())
    provider.discovery_issuer = "http://changed"  # would be refused if fetched again
    assert run(a.provider_config()) is first


def test_unreachable_provider_is_a_clear_502():
    with pytest.raises(LoginRefused) as exc:
        run(make_auth("http://127.0.0.1:9/oidc", http_timeout=2).provider_config())
    assert exc.value.status_code == 502 and "sign-in provider" in exc.value.message


# --- Authorization request and code exchange -------------------------------------

def test_authorization_url_has_every_parameter(provider):
    url = run(make_auth(provider.issuer).authorization_url("st", "no", "ch"))
    parsed = urlparse(url)
    assert f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == provider.issuer + "/auth"
    assert {k: v[0] for k, v in parse_qs(parsed.query).items()} == {
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": CALLBACK,
        "scope": "openid email profile", "state": "st", "nonce": "no",
        "code_challenge": "ch", "code_challenge_method": "S256"}


def test_pkce_challenge_is_rfc7636_s256():
    # RFC 7636 appendix B
    assert pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_exchange_returns_the_lower_cased_email(provider):
    assert sign_in(make_auth(provider.issuer), provider) == {"name": "ann@lab.org"}
    form = provider.token_requests[-1]
    assert form["grant_type"] == "authorization_code" and form["redirect_uri"] == CALLBACK
    assert "client_secret" not in form  # public client


def test_confidential_client_posts_its_secret():
    with FakeProvider(client_secret="s3cret") as provider:
        assert sign_in(make_auth(provider.issuer, client_secret="s3cret"), provider)["name"] == "ann@lab.org"
        assert provider.token_requests[-1]["client_secret"] == "s3cret"


def test_wrong_verifier_is_refused_by_the_provider(provider):
    code = provider.issue_code(pkce_challenge("the-right-verifier"), "n")
    with pytest.raises(LoginRefused, match=r"refused this sign-in \(invalid_grant\)") as exc:
        run(make_auth(provider.issuer).exchange(code, "another-verifier", "n"))
    assert "the-right-verifier" not in str(exc.value) and code not in str(exc.value)


def test_wrong_nonce_is_refused(provider):
    a = make_auth(provider.issuer)
    verifier = secrets.token_urlsafe(64)
    code = provider.issue_code(pkce_challenge(verifier), "nonce-of-another-sign-in")
    with pytest.raises(LoginRefused, match="belongs to another sign-in"):
        run(a.exchange(code, verifier, "nonce-1"))


@pytest.mark.parametrize("claims,reason", [
    ({"aud": "another-client"}, "meant for another client"),
    ({"aud": ["another-client"]}, "meant for another client"),
    ({"aud": [CLIENT_ID, "api"], "azp": "api"}, "issued to another client"),
    ({"iss": "http://127.0.0.1:1/evil"}, "issued by another provider"),
    ({"exp": time.time() - 3600}, "has expired"),
    ({"exp": None}, "has expired"),
    ({"sub": None}, "names no subject"),
])
def test_id_token_checks(provider, claims, reason):
    assert reason in refusal(make_auth(provider.issuer), provider, **claims)


def test_audience_list_with_the_client_is_accepted(provider):
    provider.id_claims = {"aud": [CLIENT_ID, "urn:notebooks-hub:api"], "azp": CLIENT_ID}
    assert sign_in(make_auth(provider.issuer), provider)["name"] == "ann@lab.org"


def test_small_clock_difference_is_tolerated(provider):
    provider.id_claims = {"exp": time.time() - 10}
    assert sign_in(make_auth(provider.issuer), provider)["name"] == "ann@lab.org"


def test_unverified_email_is_refused(provider):
    a = make_auth(provider.issuer)
    assert "not verified" in refusal(a, provider, email_verified=False)
    assert "not verified" in refusal(a, provider, email_verified="false")  # some providers send strings
    a.require_email_verified = False
    provider.id_claims = {"email_verified": False}
    assert sign_in(a, provider)["name"] == "ann@lab.org"


def test_missing_email_is_refused_when_userinfo_refuses_the_token(provider):
    # The API's provider issues access tokens for the API, which its userinfo may refuse.
    assert "no 'email'" in refusal(make_auth(provider.issuer), provider, email=None)


def test_missing_email_is_taken_from_userinfo(provider):
    provider.id_claims = {"email": None}
    provider.userinfo = {"sub": "ann@lab.org", "email": "Ann@Lab.org", "email_verified": True}
    assert sign_in(make_auth(provider.issuer), provider) == {"name": "ann@lab.org"}


def test_userinfo_about_another_subject_is_refused(provider):
    provider.userinfo = {"sub": "mallory", "email": "mallory@lab.org"}
    assert "another user" in refusal(make_auth(provider.issuer), provider, email=None)


def test_other_username_claim(provider):
    provider.id_claims = {"preferred_username": "Ann", "email_verified": False}
    assert sign_in(make_auth(provider.issuer, username_claim="preferred_username"), provider) == {"name": "ann"}


def test_admin_claim(provider):
    a = make_auth(provider.issuer, admin_claim="roles")
    provider.id_claims = {"roles": ["admin"]}
    assert sign_in(a, provider) == {"name": "ann@lab.org", "admin": True}
    provider.id_claims = {"roles": ["researcher"]}
    assert sign_in(a, provider) == {"name": "ann@lab.org", "admin": False}  # revoked at the provider
    provider.id_claims = {"roles": "admin"}
    assert sign_in(a, provider)["admin"] is True
    a.admin_users = {"ann@lab.org"}
    provider.id_claims = {}
    assert sign_in(a, provider)["admin"] is True  # admin_users still count


def test_form_login_never_reaches_the_exchange(provider):
    """POST /hub/login calls authenticate with posted fields: no CodeGrant, no user."""
    a = make_auth(provider.issuer)
    code = provider.issue_code(pkce_challenge("v"), "n")
    data = {"username": "x", "code": code, "code_verifier": "v", "nonce": "n"}
    assert run(a.authenticate(SimpleNamespace(), data)) is None
    assert provider.token_requests == []


# --- The flow cookie -------------------------------------------------------------

def test_flow_cookie_round_trip_and_expiry():
    flow = LoginFlow.start("/hub/spawn")
    assert LoginFlow.from_cookie(flow.to_cookie()) == flow
    assert LoginFlow.from_cookie(flow.to_cookie(), now=flow.created + 601) is None
    assert LoginFlow.from_cookie(None) is None
    assert LoginFlow.from_cookie(b"{not json") is None
    assert LoginFlow.from_cookie(json.dumps({"state": "s"})) is None
    assert flow.verifier not in repr(flow)


@pytest.mark.parametrize("url,ok", [
    ("/hub/spawn", True), ("/hub/home?x=1", True), ("", False), ("//evil.org/x", False),
    ("/\\evil.org", False), ("https://evil.org/", False), ("hub/home", False),
])
def test_is_local_path(url, ok):
    assert auth.is_local_path(url) is ok


# --- The handlers, in a minimal tornado application ---------------------------------

class _NoHubState:
    """What the test application lacks of a hub: a database and its users."""

    async def get_current_user(self):
        self._jupyterhub_user = None
        return None

    async def login_user(self, data=None):
        authenticated = await self.authenticator.get_authenticated_user(self, data)
        if authenticated:
            self.settings["logins"].append(authenticated)
            return SimpleNamespace(name=authenticated["name"], url="/user/x/", spawner=SimpleNamespace(active=False))


class _NoRedirect(HTTPErrorProcessor):
    """urllib without following redirects: the test plays the browser."""

    def http_response(self, request, response):
        return response


class LoginForTest(_NoHubState, OIDCLoginHandler):
    pass


class CallbackForTest(_NoHubState, OIDCCallbackHandler):
    pass


class HandlerTest(AsyncHTTPTestCase):
    def setUp(self):
        self.provider = FakeProvider().__enter__()
        super().setUp()

    def tearDown(self):
        super().tearDown()
        self.provider.__exit__()

    def get_app(self):
        self.authenticator = make_auth(self.provider.issuer, callback_url=self.get_url("/hub/oauth_callback"))
        self.logins = []
        return web.Application(
            [(r"/hub/oauth_login", LoginForTest), (r"/hub/oauth_callback", CallbackForTest)],
            cookie_secret="test-cookie-secret", hub=Hub(base_url="/hub/"), base_url="/", login_url="/hub/login",
            authenticator=self.authenticator, redirect_to_server=False, logins=self.logins,
            db=SimpleNamespace(dirty=False, rollback=lambda: None), statsd=None,
        )

    def start_login(self, query="?next=%2Fhub%2Fspawn%2Fann%2Fwork"):
        response = self.fetch("/hub/oauth_login" + query, follow_redirects=False)
        self.assertEqual(response.code, 302)
        cookie = response.headers["Set-Cookie"]
        return response.headers["Location"], cookie, cookie.split(";", 1)[0]

    def provider_redirect(self, location):
        """The browser at the provider: it signs in and is sent back with a code."""
        answer = build_opener(_NoRedirect).open(location)
        return answer.headers["Location"]

    def test_login_redirects_to_the_provider_and_sets_the_cookie(self):
        location, cookie, _ = self.start_login()
        query = {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
        self.assertTrue(location.startswith(self.provider.issuer + "/auth?"))
        self.assertEqual(query["response_type"], "code")
        self.assertEqual(query["redirect_uri"], self.get_url("/hub/oauth_callback"))
        self.assertEqual(query["code_challenge_method"], "S256")
        for key in ("client_id", "scope", "state", "nonce", "code_challenge"):
            self.assertTrue(query[key], key)
        lowered = cookie.lower()
        self.assertTrue(cookie.startswith(auth.FLOW_COOKIE + "="))
        for attribute in ("httponly", "samesite=lax", "path=/hub/", "expires="):
            self.assertIn(attribute, lowered)

    def test_full_sign_in_lands_on_next(self):
        location, _, cookie = self.start_login()
        callback = self.provider_redirect(location)
        response = self.fetch(callback[len(self.get_url("")):], headers={"Cookie": cookie}, follow_redirects=False)
        self.assertEqual(response.code, 302, response.body)
        self.assertEqual(response.headers["Location"], "/hub/spawn/ann/work")
        self.assertEqual(self.logins, [{"name": "ann@lab.org", "admin": None, "auth_state": None}])
        cleared = response.headers["Set-Cookie"]  # used once: replaying the callback fails
        self.assertTrue(cleared.startswith(auth.FLOW_COOKIE + '=""') and "Path=/hub/" in cleared, cleared)

    def test_without_next_the_code_is_not_forwarded(self):
        location, _, cookie = self.start_login(query="")
        callback = self.provider_redirect(location)
        response = self.fetch(callback[len(self.get_url("")):], headers={"Cookie": cookie}, follow_redirects=False)
        self.assertEqual(response.code, 302)
        self.assertEqual(response.headers["Location"], "/hub/home")

    def test_outside_next_is_dropped(self):
        location, _, cookie = self.start_login(query="?next=https%3A%2F%2Fevil.org%2F")
        callback = self.provider_redirect(location)
        response = self.fetch(callback[len(self.get_url("")):], headers={"Cookie": cookie}, follow_redirects=False)
        self.assertEqual(response.headers["Location"], "/hub/home")

    def callback(self, query, cookie=None):
        headers = {"Cookie": cookie} if cookie else {}
        return self.fetch("/hub/oauth_callback?" + urlencode(query), headers=headers, follow_redirects=False)

    def test_mismatched_state_is_refused(self):
        location, _, cookie = self.start_login()
        code = parse_qs(urlparse(self.provider_redirect(location)).query)["code"][0]
        with self.assertLogs("tornado.general", "WARNING") as logs:
            response = self.callback({"code": code, "state": "attacker-state"}, cookie)
        self.assertEqual(response.code, 400)
        self.assertIn("does not match the one this browser started", "\n".join(logs.output))
        self.assertEqual(self.logins, [])
        self.assertEqual(self.provider.token_requests, [])

    def test_missing_or_forged_cookie_is_refused(self):
        location, _, cookie = self.start_login()
        query = dict(parse_qs(urlparse(self.provider_redirect(location)).query))
        query = {k: v[0] for k, v in query.items()}
        forged = auth.FLOW_COOKIE + "=" + LoginFlow.start().to_cookie().replace('"', "")
        tampered = cookie[:-3] + ("0" if cookie[-3] != "0" else "1") + cookie[-2:]  # bad signature
        for cookie_header in (None, forged, tampered):
            with self.assertLogs("tornado.general", "WARNING") as logs:
                response = self.callback(query, cookie_header)
            self.assertEqual(response.code, 400)
            self.assertIn("not started from this browser", "\n".join(logs.output))
        self.assertEqual(self.provider.token_requests, [])

    def test_provider_error_is_shown_safely(self):
        _, _, cookie = self.start_login()
        with self.assertLogs("tornado.general", "WARNING") as logs:
            response = self.callback({"error": "access_denied", "error_description": "User said no\n<b>"}, cookie)
        self.assertEqual(response.code, 400)
        self.assertIn("did not complete: access_denied (User said no?<b>)", "\n".join(logs.output))
