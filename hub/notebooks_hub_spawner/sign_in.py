"""The hub's sign-in: oauthenticator's GenericOAuthenticator against the
Notebooks Hub API's OpenID provider, so hub users are the API's people.

:data:`GENERIC_OAUTHENTICATOR` is the policy every configuration applies
(``deploy/jupyterhub/jupyterhub_config.py``, the test hub, and the same keys
in the zero-to-jupyterhub values): the authorization code flow with PKCE
(S256), the person's claims read from the ID token the token endpoint
answers (the API's provider binds its access tokens to the API, so its
userinfo endpoint refuses them), the ``email`` claim as the hub user name
(lower-cased by JupyterHub), and the tokens kept in the encrypted auth state
(``JUPYTERHUB_CRYPT_KEY``) and refreshed. The endpoints, client id and
callback come from each deployment.

Two hooks add what GenericOAuthenticator 17.4 does not do:

* :func:`require_verified_email` refuses an address the provider has not
  verified, at every sign-in and every refresh (oauthenticator checks
  ``email_verified`` only for Google and Auth0).
* :func:`refresh_tokens` refreshes with the refresh token. Left alone,
  oauthenticator re-reads the claims of the ID token it stored at sign-in,
  without asking the provider, and once that token has expired answers
  every request of the person with a 500 ("Unable to decode id token",
  oauthenticator issue 793).
"""

from __future__ import annotations

from tornado import web
from tornado.httpclient import HTTPClientError


def require_verified_email(authenticator, auth_state):
    """``modify_auth_state_hook``: only addresses the provider verified."""
    claims = auth_state.get(authenticator.user_auth_state_key) or {}
    if claims.get("email_verified") is not True:
        raise web.HTTPError(403, "Your email address is not verified at the sign-in provider: confirm it there, then sign in again")
    return auth_state


async def refresh_tokens(authenticator, user, auth_state):
    """``refresh_user_hook``: fresh tokens from the provider each time
    JupyterHub refreshes a person (``Authenticator.auth_refresh_age``).

    Answers True (nothing to refresh) for a hub user who never signed in at
    the hub: the API makes hub users and starts their servers, which are
    reached with tokens that must keep working. A refresh the provider
    refuses (the person disabled, the grant revoked or expired) or cannot
    answer ends the hub session (False: sign in again). Otherwise the fresh
    token answer replaces the stored one and oauthenticator goes on from it
    (None), rebuilding the person's claims and checking them again."""
    if not auth_state:
        return True
    refresh_token = auth_state.get("refresh_token")
    if not refresh_token:
        return False
    params = authenticator.build_refresh_token_request_params(refresh_token)
    try:
        token_info = await authenticator.get_token_info(None, params)
    except (HTTPClientError, web.HTTPError, OSError) as error:
        authenticator.log.info("The sign-in of %s could not be refreshed (%s): they sign in again", user.name, error)
        return False
    # Providers may keep the refresh token they issued rather than rotate it.
    token_info.setdefault("refresh_token", refresh_token)
    # oauthenticator's refresh_user reads the token answer from this very dict once the hook answers None.
    auth_state["token_response"] = token_info
    return None


#: GenericOAuthenticator's settings, the same in every configuration.
GENERIC_OAUTHENTICATOR = {
    "login_service": "Notebooks Hub",
    "enable_pkce": True,
    "scope": ["openid", "email", "profile"],
    "userdata_from_id_token": True,
    "username_claim": "email",
    "enable_auth_state": True,
    # The API starts servers for people who may never have signed in at the
    # hub (it makes their hub users): a spawn must not need their sign-in.
    "refresh_pre_spawn": False,
    # Who may use the hub is decided by the API (its people, their templates).
    "allow_all": True,
    "modify_auth_state_hook": require_verified_email,
    "refresh_user_hook": refresh_tokens,
}
