"""JupyterHub 5 configuration for the Notebooks Hub.

One file for every way the hub runs, chosen by the environment: the
docker-compose stack (its hub image installs ../../hub), the one-machine
local stack (scripts/local-stack.sh) and Kubernetes (KubeSpawner). The
Notebooks Hub API manages hub users and named servers through the hub's
REST API as the `notebooks-hub-api` service; the hub's spawner builds each
server from the launch plan the API answers for its launch ticket (the
`notebooks_hub_spawner` package).

Environment (required ones say so):
  JUPYTERHUB_API_TOKEN          token of the notebooks-hub-api service (required;
                                the API's HUB_API_TOKEN)
  NOTEBOOKS_HUB_UI_URL          the launcher (the API's PUBLIC_URL, with a
                                trailing /): where a signed-in user lands, and
                                where the hub's not-running and error pages
                                send people; default: the hub's own pages
  NOTEBOOKS_HUB_SPAWNER         local (each person's servers run as their own
                                unprivileged system account, made when first
                                needed, with a home under HOMES_ROOT; the hub
                                runs as root) or kubernetes; default local
  NOTEBOOKS_HUB_AUTH            oidc (oauthenticator's GenericOAuthenticator at
                                the API's OpenID provider: hub users are the
                                API's people) or dummy (any name, no password;
                                experiments only); default oidc
  OAUTH2_AUTHORIZE_URL, OAUTH2_TOKEN_URL
                                the provider's authorization and token
                                endpoints (required with oidc; read by
                                oauthenticator itself)
  OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, OAUTH_CALLBACK_URL
                                the hub's client at the provider (empty secret:
                                a public client, PKCE) and the browser's
                                .../hub/oauth_callback registered there (the
                                client id and callback are required with oidc)
  JUPYTERHUB_CRYPT_KEY          encrypts each person's tokens at the provider in
                                the hub's database (required with oidc;
                                openssl rand -hex 32)
  NOTEBOOKS_HUB_OIDC_ALLOW_HTTP true: accept plain-http provider endpoints on
                                another host than this one (a local Keycloak)
  NOTEBOOKS_HUB_PROXY_COMMAND   how to run configurable-http-proxy (words,
                                shell-quoted); default: configurable-http-proxy
                                on PATH
  NOTEBOOKS_HUB_API_URL, NOTEBOOKS_HUB_SPAWNER_TOKEN
                                where the spawner redeems a server's launch
                                ticket for its launch plan (the API's URL and
                                SPAWNER_TOKEN)
  DATASETS_ROOT, MODULES_ROOT, HOMES_ROOT
                                the folders the API writes (shared with the
                                hub; HOMES_ROOT must be root's, mode 0711)
  JUPYTERHUB_DATA_DIR           database and cookie secret; default /srv/jupyterhub/data
  JUPYTERHUB_BIND_URL           the public proxy; default http://0.0.0.0:8000
  JUPYTERHUB_HUB_BIND_URL       the hub's own API; default http://0.0.0.0:8081
"""

import os
import shlex
from urllib.parse import urlsplit

c = get_config()  # noqa: F821 -- provided by JupyterHub when it loads this file
env = os.environ


def required(name):
    value = env.get(name, "").strip()
    if not value:
        raise SystemExit(f"{name} is not set: see the header of {__file__}")
    return value


# --- State and addresses ------------------------------------------------------
data_dir = env.get("JUPYTERHUB_DATA_DIR", "/srv/jupyterhub/data")
os.makedirs(data_dir, mode=0o700, exist_ok=True)
c.JupyterHub.db_url = "sqlite:///" + os.path.join(data_dir, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(data_dir, "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = os.path.join(data_dir, "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = os.path.join(data_dir, "proxy.pid")
c.JupyterHub.bind_url = env.get("JUPYTERHUB_BIND_URL", "http://0.0.0.0:8000")
c.JupyterHub.hub_bind_url = env.get("JUPYTERHUB_HUB_BIND_URL", "http://0.0.0.0:8081")
if env.get("JUPYTERHUB_PROXY_API_URL"):
    c.ConfigurableHTTPProxy.api_url = env["JUPYTERHUB_PROXY_API_URL"]
if env.get("NOTEBOOKS_HUB_PROXY_COMMAND"):
    c.ConfigurableHTTPProxy.command = shlex.split(env["NOTEBOOKS_HUB_PROXY_COMMAND"])

# --- Servers: the API's named servers, and nothing else ----------------------
c.JupyterHub.allow_named_servers = True
c.JupyterHub.named_server_limit_per_user = 0
# A login lands on the launcher (or the hub's home page), never on a spawn of
# the unnamed default server, which the spawner refuses anyway.
c.JupyterHub.redirect_to_server = False
if env.get("NOTEBOOKS_HUB_UI_URL"):
    from notebooks_hub_spawner.hub_pages import send_pages_to_launcher

    send_pages_to_launcher(c, env["NOTEBOOKS_HUB_UI_URL"])

spawner = env.get("NOTEBOOKS_HUB_SPAWNER", "local")
if spawner == "kubernetes":
    from notebooks_hub_spawner.kubernetes import KubeSettings, make_modify_pod_hook, make_pre_spawn_hook, post_stop_hook

    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    # user_options carry only a launch ticket: the pre_spawn_hook redeems it at
    # the API (NOTEBOOKS_HUB_API_URL, NOTEBOOKS_HUB_SPAWNER_TOKEN; required here)
    # for the launch plan and writes the server's Kubernetes Secret, the pod
    # hook builds the pod from that plan only, the post_stop_hook deletes the
    # Secret. No Vault Agent injector: secret values come in the plan.
    c.KubeSpawner.pre_spawn_hook = make_pre_spawn_hook(KubeSettings.from_env())
    c.KubeSpawner.modify_pod_hook = make_modify_pod_hook(KubeSettings.from_env())
    c.KubeSpawner.post_stop_hook = post_stop_hook
elif spawner == "local":
    c.JupyterHub.spawner_class = "notebooks_hub_spawner.local.NotebooksHubLocalSpawner"
    c.NotebooksHubLocalSpawner.homes_root = required("HOMES_ROOT")
    # Servers see datasets only where the spawner mounts them (it refuses an open root).
    if env.get("DATASETS_ROOT") and os.path.isdir(env["DATASETS_ROOT"]):
        os.chmod(env["DATASETS_ROOT"], 0o700)
    c.Spawner.start_timeout = 120
    c.Spawner.http_timeout = 120
else:
    raise SystemExit(f"NOTEBOOKS_HUB_SPAWNER must be local or kubernetes, not {spawner!r}")

# The hub answers a spawn or a stop still under way with 202 after these
# seconds. The API waits HUB_TIMEOUT_MS (10 s by default) for each hub call and
# follows a 202 itself (progress stream, reconciler), so both must be well under
# it: otherwise a slow pod start or stop reaches people as 504.
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 3, "slow_stop_timeout": 3}

# --- The Notebooks Hub API as a hub service, and what people may do ----------
from notebooks_hub_spawner.hub_roles import USER_ROLE  # noqa: E402 (the hub image installs the package)

c.JupyterHub.services = [{"name": "notebooks-hub-api", "api_token": required("JUPYTERHUB_API_TOKEN")}]
# No `shares`: sharing a server is the API's, never a hub share (see README, Templates and servers).
scopes = ["admin:users", "admin:servers", "tokens", "access:servers", "read:roles"]
c.JupyterHub.load_roles = [
    {
        "name": "notebooks-hub-api",
        "description": "What the Notebooks Hub API needs to manage users and servers",
        "scopes": scopes,
        "services": ["notebooks-hub-api"],
    },
    # People use their servers at the hub; they do not start, stop or delete
    # them there: the API alone decides what runs.
    USER_ROLE,
]

# --- Authentication: the same people as the API's -----------------------------
auth = env.get("NOTEBOOKS_HUB_AUTH", "oidc")
if auth == "oidc":
    from notebooks_hub_spawner.sign_in import GENERIC_OAUTHENTICATOR  # noqa: E402

    c.JupyterHub.authenticator_class = "generic-oauth"
    # PKCE, the email claim as the user name, email_verified required, tokens
    # kept (encrypted) and refreshed: the same in every configuration.
    for name, value in GENERIC_OAUTHENTICATOR.items():
        setattr(c.GenericOAuthenticator, name, value)
    endpoints = [required(name) for name in ("OAUTH2_AUTHORIZE_URL", "OAUTH2_TOKEN_URL")]
    for name in ("OAUTH_CLIENT_ID", "OAUTH_CALLBACK_URL", "JUPYTERHUB_CRYPT_KEY"):
        required(name)
    # Codes and tokens cross these: plain http only on this machine, or where the operator says so.
    if env.get("NOTEBOOKS_HUB_OIDC_ALLOW_HTTP", "") != "true":
        for url in endpoints:
            parts = urlsplit(url)
            if parts.scheme != "https" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
                raise SystemExit(f"{url} is not https: set NOTEBOOKS_HUB_OIDC_ALLOW_HTTP=true to accept it")
    # One way in: the hub's login page would only offer the one button to it.
    c.Authenticator.auto_login = True
elif auth == "dummy":
    c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
    c.Authenticator.allow_all = True
else:
    raise SystemExit(f"NOTEBOOKS_HUB_AUTH must be oidc or dummy, not {auth!r}")
