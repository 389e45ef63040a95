"""JupyterHub configuration for the Notebooks Hub docker-compose stack.

Mounted at /srv/jupyterhub/jupyterhub_config.py in the
quay.io/jupyterhub/jupyterhub image. The Notebooks Hub API manages users and
(named) servers through the hub's REST API as the `notebooks-hub-api` service,
authenticating with the token in the JUPYTERHUB_API_TOKEN environment variable.

Environment:
  JUPYTERHUB_API_TOKEN  token of the notebooks-hub-api service (required),
                        e.g. from `openssl rand -hex 32`.
  HUB_DEV_MODE          when set to a non-empty value, use DummyAuthenticator
                        (any user name, no password) for local experiments.
"""

import os

c = get_config()  # noqa: F821 -- provided by JupyterHub when it loads this file

# --- State -------------------------------------------------------------------
# Kept in the `jupyterhub-data` named volume.
c.JupyterHub.db_url = "sqlite:////srv/jupyterhub/data/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "/srv/jupyterhub/data/jupyterhub_cookie_secret"

c.JupyterHub.bind_url = "http://0.0.0.0:8000"

# --- Servers -------------------------------------------------------------------
# Every notebook is a named server; 0 means no limit per user.
c.JupyterHub.allow_named_servers = True
c.JupyterHub.named_server_limit_per_user = 0

# The image's default LocalProcessSpawner needs jupyterhub-singleuser (e.g. the
# jupyterlab package) inside this container. A real deployment uses a spawner
# that starts each server in its own container or pod (DockerSpawner,
# KubeSpawner).

# --- The Notebooks Hub API as a hub service ------------------------------------
api_token = os.environ.get("JUPYTERHUB_API_TOKEN", "").strip()
if not api_token:
    raise SystemExit(
        "JUPYTERHUB_API_TOKEN is not set: the notebooks-hub-api service needs a "
        "token (e.g. `openssl rand -hex 32`), shared with the API."
    )

c.JupyterHub.services = [
    {
        "name": "notebooks-hub-api",
        "api_token": api_token,
    },
]

c.JupyterHub.load_roles = [
    {
        "name": "notebooks-hub-api",
        "description": "What the Notebooks Hub API needs to manage users, servers and sharing",
        "scopes": [
            "admin:users",
            "admin:servers",
            "tokens",
            "access:servers",
            "read:roles",
            "shares",
        ],
        "services": ["notebooks-hub-api"],
    },
]

# --- Authentication ------------------------------------------------------------
if os.environ.get("HUB_DEV_MODE", "").strip():
    # Local experiments only: anyone may sign in under any name, no password.
    c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
    c.Authenticator.allow_all = True
    c.Authenticator.admin_users = {"alice@example.org"}
else:
    # The default PAM authenticator (system accounts of this container), which
    # is all this image ships with. In a real deployment replace it with an
    # OAuthenticator (the `oauthenticator` package, GenericOAuthenticator)
    # pointed at the Keycloak realm, so hub users are the same people who sign
    # in to the API:
    #
    #   c.JupyterHub.authenticator_class = "generic-oauth"
    #   c.GenericOAuthenticator.client_id = "jupyterhub"
    #   c.GenericOAuthenticator.client_secret = os.environ["HUB_OAUTH_CLIENT_SECRET"]
    #   c.GenericOAuthenticator.oauth_callback_url = "https://hub.example.org/hub/oauth_callback"
    #   c.GenericOAuthenticator.authorize_url = "https://keycloak.example.org/realms/notebooks/protocol/openid-connect/auth"
    #   c.GenericOAuthenticator.token_url = "https://keycloak.example.org/realms/notebooks/protocol/openid-connect/token"
    #   c.GenericOAuthenticator.userdata_url = "https://keycloak.example.org/realms/notebooks/protocol/openid-connect/userinfo"
    #   c.GenericOAuthenticator.username_claim = "email"
    #   c.GenericOAuthenticator.allow_all = True
    c.JupyterHub.authenticator_class = "pam"
