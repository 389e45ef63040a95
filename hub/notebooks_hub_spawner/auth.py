"""Signing in to the hub with the Notebooks Hub API's OpenID provider.

``NotebooksHubOIDCAuthenticator`` runs the OpenID Connect authorization code
flow with PKCE (S256), so hub users are the API's people: the hub user name
is the ``email`` claim, stripped and lower-cased, as the API names them.

    c.JupyterHub.authenticator_class = "notebooks_hub_spawner.auth.NotebooksHubOIDCAuthenticator"

``/hub/oauth_login`` keeps a fresh state, nonce and PKCE verifier in a
short-lived cookie signed with the hub's cookie secret and sends the browser
to the provider; ``/hub/oauth_callback`` checks the state against the cookie
(login CSRF), exchanges the code at the token endpoint and reads the ID
token it returns.

The ID token's signature is not verified: it comes straight from the token
endpoint over the back channel, which OpenID Connect Core 3.1.3.7 allows a
client to trust through TLS instead (hence the https requirement outside
loopback).  Its ``iss``, ``aud``, ``exp`` and ``nonce`` are checked.

Tokens, codes and verifiers are never logged nor put in error messages.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Optional
from urllib.parse import urlencode, urlparse

from jupyterhub.auth import Authenticator
from jupyterhub.handlers import BaseHandler
from jupyterhub.utils import url_path_join
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.httputil import url_concat
from traitlets import Bool, Float, List, Unicode, default

FLOW_COOKIE = "notebooks-hub-oidc-flow"
FLOW_TTL_SECONDS = 600  # time the person has to sign in at the provider
CLOCK_LEEWAY_SECONDS = 60  # tolerated clock difference with the provider
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class LoginRefused(web.HTTPError):
    """A sign-in that cannot complete.  JupyterHub's error page shows
    ``log_message % args``, so "%s" with the message shows it verbatim."""

    def __init__(self, status_code: int, message: str):
        super().__init__(status_code, "%s", message)
        self.message = message


# --- Small pure helpers ------------------------------------------------------

def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def decode_jwt_payload(token: str) -> dict:
    """The claims of a compact JWS (``header.payload.signature``), unverified."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise ValueError("not a compact JWT")
    claims = json.loads(b64url_decode(parts[1]))
    if not isinstance(claims, dict):
        raise ValueError("JWT payload is not an object")
    return claims


def is_local_path(url: str) -> bool:
    """A path on this host: no scheme, no host, no ``//`` or backslash that a
    browser would read as another host."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return False
    parsed = urlparse(url)
    return not parsed.scheme and not parsed.netloc


def safe_text(value, limit: int = 200) -> str:
    """Provider-supplied text for an error page: printable and short.
    (The hub's templates escape HTML; this keeps logs and pages readable.)"""
    text = re.sub(r"[^\x20-\x7e]", "?", str(value or ""))
    return text[:limit] + ("..." if len(text) > limit else "")


def check_url(url: str, what: str, allow_http: bool) -> None:
    """Refuse plain http outside loopback: tokens and the unverified ID token
    are only as trustworthy as the transport."""
    parsed = urlparse(url or "")
    if parsed.scheme == "https" and parsed.hostname:
        return
    if parsed.scheme == "http" and parsed.hostname and (allow_http or parsed.hostname in LOOPBACK_HOSTS):
        return
    raise LoginRefused(
        500, f"The hub's sign-in is misconfigured: {what} {safe_text(url)!r} must be an "
        "https URL (http only for localhost, or with allow_http)")


# --- One sign-in, from the login handler to the callback ---------------------

@dataclass(frozen=True)
class LoginFlow:
    """What the login handler keeps in the signed cookie for the callback."""
    state: str
    nonce: str
    verifier: str = field(repr=False)
    next_url: str = ""
    created: float = field(default_factory=time.time)

    @classmethod
    def start(cls, next_url: str = "") -> "LoginFlow":
        return cls(state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32),
                   verifier=secrets.token_urlsafe(64), next_url=next_url)

    def to_cookie(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_cookie(cls, value, now: Optional[float] = None) -> Optional["LoginFlow"]:
        """The flow, or None when the cookie is absent, malformed or too old.
        The cookie's own expiry is up to the browser, so the age is checked here."""
        if not value:
            return None
        try:
            data = json.loads(value)
            flow = cls(**{k: data[k] for k in ("state", "nonce", "verifier", "next_url", "created")})
        except (ValueError, TypeError, KeyError):
            return None
        if not all(isinstance(v, str) and v for v in (flow.state, flow.nonce, flow.verifier)):
            return None
        now = time.time() if now is None else now
        if not isinstance(flow.created, (int, float)) or not 0 <= now - flow.created <= FLOW_TTL_SECONDS:
            return None
        return flow


@dataclass(frozen=True)
class CodeGrant:
    """What authenticate() needs from a callback whose state was checked."""
    code: str = field(repr=False)
    verifier: str = field(repr=False)
    nonce: str = field(repr=False)


# --- Handlers ----------------------------------------------------------------

class OIDCLoginHandler(BaseHandler):
    """``/hub/oauth_login``: start a sign-in and send the browser to the provider."""

    async def get(self):
        flow = LoginFlow.start(self._requested_next())
        url = await self.authenticator.authorization_url(
            flow.state, flow.nonce, pkce_challenge(flow.verifier))
        cookie_options = dict(
            path=self.hub.base_url, expires_days=FLOW_TTL_SECONDS / 86400, samesite="Lax")
        if self.authenticator.callback_url.startswith("https:"):
            # The browser must send it back to the callback; _set_cookie adds
            # Secure by itself only when the hub itself is reached over https.
            cookie_options["secure"] = True
        # _set_cookie: HttpOnly, and the hub's cookie_options; encrypted=True
        # means set_secure_cookie, i.e. signed with the hub's cookie secret.
        self._set_cookie(FLOW_COOKIE, flow.to_cookie(), encrypted=True, **cookie_options)
        self.redirect(url)

    def _requested_next(self) -> str:
        """``?next=`` as JupyterHub's own login accepts it, kept only if it is a
        path on this hub ('' lets the callback pick the hub's default)."""
        if not self.get_argument("next", ""):
            return ""
        next_url = self.get_next_url()
        return next_url if is_local_path(next_url) else ""


class OIDCCallbackHandler(BaseHandler):
    """``/hub/oauth_callback``: check the state, sign the user in, go on."""

    flow: Optional[LoginFlow] = None
    code_grant: Optional[CodeGrant] = None  # read by authenticate()

    async def get(self):
        self.flow = self.take_flow()
        self.code_grant = self.check_callback(self.flow)
        user = await self.login_user()
        if user is None:
            raise LoginRefused(403, "You signed in with the Notebooks Hub, but this hub does not allow your account.")
        self._jupyterhub_user = user  # as JupyterHub's LoginHandler does, for this request's log
        self.redirect(self.get_next_url(user))

    def take_flow(self) -> Optional[LoginFlow]:
        """Read the flow cookie and clear it: each flow is used at most once."""
        value = self.get_secure_cookie(FLOW_COOKIE, max_age_days=1)
        self.clear_cookie(FLOW_COOKIE, path=self.hub.base_url)
        return LoginFlow.from_cookie(value)

    def check_callback(self, flow: Optional[LoginFlow]) -> CodeGrant:
        """The provider's answer belongs to a sign-in this browser started."""
        error = self.get_argument("error", "")
        if error:
            description = self.get_argument("error_description", "")
            raise LoginRefused(400, "The Notebooks Hub sign-in did not complete: "
                               + safe_text(error, 64) + (f" ({safe_text(description)})" if description else ""))
        state = self.get_argument("state", "")
        if flow is None:
            raise LoginRefused(400, "This sign-in was not started from this browser or took longer than "
                               f"{FLOW_TTL_SECONDS // 60} minutes; please sign in again.")
        if not state or not hmac.compare_digest(state.encode(), flow.state.encode()):
            # A callback for another sign-in: possibly someone trying to sign
            # this browser in with their own account (login CSRF).
            raise LoginRefused(400, "This sign-in does not match the one this browser started; please sign in again.")
        code = self.get_argument("code", "")
        if not code:
            raise LoginRefused(400, "The sign-in provider sent no authorization code; please sign in again.")
        return CodeGrant(code=code, verifier=flow.verifier, nonce=flow.nonce)

    def get_next_url(self, user=None, default=None):
        if self.flow and self.flow.next_url:
            return self.flow.next_url
        return super().get_next_url(user, default)

    def append_query_parameters(self, url, exclude=None):
        # JupyterHub appends the current request's query to a default next URL;
        # here that query is the authorization code and state: never forward it.
        return url


# --- The authenticator ---------------------------------------------------------

class NotebooksHubOIDCAuthenticator(Authenticator):
    """OpenID Connect sign-in with the Notebooks Hub API's provider."""

    login_service = "Notebooks Hub"

    issuer = Unicode(config=True, help="The provider's issuer URL ($NOTEBOOKS_HUB_OIDC_ISSUER).")
    client_id = Unicode(config=True, help="The hub's client id ($NOTEBOOKS_HUB_OIDC_CLIENT_ID).")
    client_secret = Unicode(config=True, help=(
        "The hub's client secret ($NOTEBOOKS_HUB_OIDC_CLIENT_SECRET), sent as client_secret_post; "
        "empty for a public client (token_endpoint_auth_method none)."))
    callback_url = Unicode(config=True, help=(
        "This hub's /hub/oauth_callback as the browser reaches it, registered at the provider "
        "($NOTEBOOKS_HUB_OIDC_CALLBACK_URL)."))
    scope = List(Unicode(), ["openid", "email", "profile"], config=True, help="Scopes to request.")
    username_claim = Unicode("email", config=True, help="Claim whose value (stripped, lower-cased) is the hub user name.")
    allow_http = Bool(False, config=True, help="Accept a plain-http provider outside localhost (tests only).")
    http_timeout = Float(10.0, config=True, help="Seconds to wait for each request to the provider.")
    require_email_verified = Bool(True, config=True, help=(
        "Refuse a user name taken from the email claim when the claims say email_verified false."))
    admin_claim = Unicode("", config=True, help=(
        "Claim (a string or a list, e.g. 'roles') that makes a user a hub admin when it holds one "
        "of admin_roles.  When set it decides at each sign-in (admin_users still count); empty: unused."))
    admin_roles = List(Unicode(), ["admin"], config=True, help="Values of admin_claim that mean admin.")

    @default("issuer")
    def _issuer_default(self):
        return os.environ.get("NOTEBOOKS_HUB_OIDC_ISSUER", "")

    @default("client_id")
    def _client_id_default(self):
        return os.environ.get("NOTEBOOKS_HUB_OIDC_CLIENT_ID", "")

    @default("client_secret")
    def _client_secret_default(self):
        return os.environ.get("NOTEBOOKS_HUB_OIDC_CLIENT_SECRET", "")

    @default("callback_url")
    def _callback_url_default(self):
        return os.environ.get("NOTEBOOKS_HUB_OIDC_CALLBACK_URL", "")

    _discovery: Optional[dict] = None

    # -- JupyterHub hooks -------------------------------------------------------

    def login_url(self, base_url):
        return url_path_join(base_url, "oauth_login")

    def get_handlers(self, app):
        return [(r"/oauth_login", OIDCLoginHandler), (r"/oauth_callback", OIDCCallbackHandler)]

    async def authenticate(self, handler, data=None):
        # Only a callback whose state matched its cookie carries a CodeGrant.
        # JupyterHub's form login (POST /hub/login) also calls authenticate,
        # with whatever fields were posted: it must never sign anyone in.
        grant = getattr(handler, "code_grant", None)
        if not isinstance(grant, CodeGrant):
            return None
        return await self.exchange(grant.code, grant.verifier, grant.nonce)

    # -- The flow, as plain methods (tested without a hub) ----------------------

    def check_config(self) -> None:
        missing = [env for env, value in (("NOTEBOOKS_HUB_OIDC_ISSUER", self.issuer),
                                          ("NOTEBOOKS_HUB_OIDC_CLIENT_ID", self.client_id),
                                          ("NOTEBOOKS_HUB_OIDC_CALLBACK_URL", self.callback_url))
                   if not value]
        if missing:
            raise LoginRefused(500, "The hub's sign-in is not configured: set " + ", ".join(missing))
        check_url(self.issuer, "the issuer", self.allow_http)

    async def provider_config(self) -> dict:
        """The provider's discovery document, fetched once and kept."""
        if self._discovery is None:
            self.check_config()
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            status, doc = await self._fetch_json(HTTPRequest(url, method="GET"), "its configuration")
            if status != 200:
                raise LoginRefused(502, f"The sign-in provider answered HTTP {status} for its configuration")
            self._discovery = self._checked_discovery(doc)
        return self._discovery

    def _checked_discovery(self, doc: dict) -> dict:
        if doc.get("issuer") != self.issuer:
            # OpenID Connect Discovery 4.3: another issuer's document must not be used.
            raise LoginRefused(500, f"The sign-in provider calls itself {safe_text(doc.get('issuer'))!r}, "
                               f"not the configured issuer {self.issuer!r}")
        for key in ("authorization_endpoint", "token_endpoint"):
            check_url(doc.get(key), key, self.allow_http)
        if doc.get("userinfo_endpoint"):
            check_url(doc["userinfo_endpoint"], "userinfo_endpoint", self.allow_http)
        methods = doc.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise LoginRefused(500, "The sign-in provider does not support PKCE with S256")
        return doc

    async def authorization_url(self, state: str, nonce: str, code_challenge: str) -> str:
        config = await self.provider_config()
        return url_concat(config["authorization_endpoint"], {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.callback_url,
            "scope": " ".join(self.scope),
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        })

    async def exchange(self, code: str, verifier: str, nonce: str) -> dict:
        """Redeem the code; return JupyterHub's {'name', 'admin'?} or raise LoginRefused."""
        config = await self.provider_config()
        tokens = await self._redeem_code(config, code, verifier)
        claims = self.claims_from_id_token(tokens.get("id_token"), nonce)
        if not claims.get(self.username_claim) and config.get("userinfo_endpoint") and tokens.get("access_token"):
            claims = await self._with_userinfo(config, claims, tokens["access_token"])
        return self.authentication(claims)

    async def _redeem_code(self, config: dict, code: str, verifier: str) -> dict:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.callback_url,
            "client_id": self.client_id,
            "code_verifier": verifier,
        }
        if self.client_secret:
            form["client_secret"] = self.client_secret  # client_secret_post
        request = HTTPRequest(config["token_endpoint"], method="POST", body=urlencode(form),
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        status, tokens = await self._fetch_json(request, "the authorization code")
        if status != 200:
            # Only the OAuth error code is shown: it names the problem and carries no secret.
            error = safe_text(tokens.get("error") or f"HTTP {status}", 64)
            self.log.warning("The OpenID provider refused the authorization code: %s", error)
            raise LoginRefused(403, f"The sign-in provider refused this sign-in ({error}); please sign in again.")
        return tokens

    def claims_from_id_token(self, id_token, nonce: str, now: Optional[float] = None) -> dict:
        """The ID token's claims after the OIDC Core 3.1.3.7 checks that do not
        need its signature (see the module docstring)."""
        try:
            claims = decode_jwt_payload(id_token)
        except (ValueError, TypeError):
            raise LoginRefused(403, "The sign-in provider returned no valid ID token.") from None
        now = time.time() if now is None else now
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        problem = None
        if claims.get("iss") != self.issuer:
            problem = "it was issued by another provider"
        elif self.client_id not in audiences:
            problem = "it is meant for another client"
        elif len(audiences) > 1 and claims.get("azp", self.client_id) != self.client_id:
            problem = "it was issued to another client"
        elif not isinstance(claims.get("exp"), (int, float)) or claims["exp"] + CLOCK_LEEWAY_SECONDS < now:
            problem = "it has expired"
        elif not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(
                claims["nonce"].encode(), nonce.encode()):
            problem = "it belongs to another sign-in"  # replayed or injected token
        elif not isinstance(claims.get("sub"), str) or not claims["sub"]:
            problem = "it names no subject"
        if problem:
            self.log.warning("Refusing an ID token: %s", problem)
            raise LoginRefused(403, f"The sign-in provider's ID token was refused: {problem}.")
        return claims

    async def _with_userinfo(self, config: dict, claims: dict, access_token: str) -> dict:
        """The ID token's claims completed by the userinfo endpoint.  The
        Notebooks Hub's provider may refuse its API access tokens there; then
        the ID token's claims are all there is."""
        request = HTTPRequest(config["userinfo_endpoint"], method="GET",
                              headers={"Authorization": f"Bearer {access_token}"})
        status, info = await self._fetch_json(request, "the user's claims")
        if status != 200:
            self.log.warning("The OpenID provider's userinfo endpoint answered HTTP %s", status)
            return claims
        if info.get("sub") != claims.get("sub"):
            # OIDC Core 5.3.4: userinfo about someone else must not be used.
            raise LoginRefused(403, "The sign-in provider's user information is about another user.")
        return {**info, **claims}

    def authentication(self, claims: dict) -> dict:
        """Turn checked claims into JupyterHub's authentication dict."""
        value = claims.get(self.username_claim)
        name = value.strip().lower() if isinstance(value, str) else ""
        if not name:
            raise LoginRefused(403, f"The Notebooks Hub did not say who you are: your account has no "
                               f"'{self.username_claim}'. Ask an administrator to add it.")
        if (self.require_email_verified and self.username_claim == "email"
                and str(claims.get("email_verified", True)).lower() == "false"):
            raise LoginRefused(403, f"The email address {name} is not verified yet; verify it, then sign in again.")
        authentication = {"name": name}
        if self.admin_claim:
            authentication["admin"] = self._has_admin_role(claims) or self.normalize_username(name) in self.admin_users
        return authentication

    def _has_admin_role(self, claims: dict) -> bool:
        value = claims.get(self.admin_claim)
        values = value if isinstance(value, list) else [value]
        return any(isinstance(v, str) and v in self.admin_roles for v in values)

    async def _fetch_json(self, request: HTTPRequest, what: str):
        """(status, JSON object) of a provider request; LoginRefused(502) when
        the provider cannot be reached or does not answer JSON."""
        request.connect_timeout = request.request_timeout = self.http_timeout
        request.headers["Accept"] = "application/json"
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except Exception as exc:  # DNS, TLS, refused connection
            raise LoginRefused(502, f"Could not reach the sign-in provider for {what}: {type(exc).__name__}") from None
        if response.code == 599:  # tornado's code for timeouts and connection errors
            raise LoginRefused(502, f"The sign-in provider did not answer for {what} within {self.http_timeout:g}s")
        try:
            body = json.loads(response.body)
        except (ValueError, TypeError):
            body = None
        if not isinstance(body, dict):
            if response.code != 200:
                return response.code, {}
            raise LoginRefused(502, f"The sign-in provider answered {what} with invalid JSON")
        return response.code, body
