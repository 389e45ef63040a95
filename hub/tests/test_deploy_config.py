"""deploy/jupyterhub/jupyterhub_config.py as JupyterHub 5 loads it: the
scopes it gives exist, the environment chooses spawner and authenticator,
and the sign-in is GenericOAuthenticator with the package's policy. The file
itself runs on a real JupyterHub 5 in the local-stack acceptance test."""

import inspect
import os

import pytest
from jupyterhub.scopes import _check_scopes_exist
from traitlets.config import Config

from notebooks_hub_spawner import sign_in
from notebooks_hub_spawner.errors import OptionsError

CONFIG = os.path.join(os.path.dirname(__file__), "..", "..", "deploy", "jupyterhub", "jupyterhub_config.py")
ISSUER = "https://id.example.org/realms/notebooks/protocol/openid-connect"
BASE_ENV = {
    "JUPYTERHUB_API_TOKEN": "t" * 64,
    "HOMES_ROOT": "/srv/homes",
    "OAUTH2_AUTHORIZE_URL": ISSUER + "/auth",
    "OAUTH2_TOKEN_URL": ISSUER + "/token",
    "OAUTH_CLIENT_ID": "notebooks-hub",
    "OAUTH_CALLBACK_URL": "https://hub.example.org/hub/oauth_callback",
    "JUPYTERHUB_CRYPT_KEY": "c" * 64,
}


def load(monkeypatch, tmp_path, **env):
    for name in list(os.environ):
        if name.startswith(("NOTEBOOKS_HUB_", "JUPYTERHUB_", "OAUTH")):
            monkeypatch.delenv(name)
    for name, value in {**BASE_ENV, "JUPYTERHUB_DATA_DIR": str(tmp_path), **env}.items():
        monkeypatch.setenv(name, value)
    config = Config()
    with open(CONFIG) as f:
        exec(compile(f.read(), CONFIG, "exec"), {"get_config": lambda: config, "__file__": CONFIG})
    return config


def test_the_api_service_gets_scopes_jupyterhub_knows_and_no_hub_sharing(monkeypatch, tmp_path):
    role = next(r for r in load(monkeypatch, tmp_path).JupyterHub.load_roles if r["name"] == "notebooks-hub-api")
    assert role["services"] == ["notebooks-hub-api"]
    _check_scopes_exist(role["scopes"])
    assert {"admin:users", "admin:servers", "access:servers"} <= set(role["scopes"])
    assert "shares" not in role["scopes"]


def test_named_servers_only_and_logins_land_on_the_launcher_as_the_hubs_pages_send_people_there(monkeypatch, tmp_path):
    config = load(monkeypatch, tmp_path, NOTEBOOKS_HUB_UI_URL="https://notebooks.example.org/")
    assert config.JupyterHub.allow_named_servers is True
    assert config.JupyterHub.redirect_to_server is False
    assert config.JupyterHub.default_url == "https://notebooks.example.org/"
    # The not-running and error pages are the package's, which extend JupyterHub's own and link the launcher.
    [templates] = config.JupyterHub.template_paths
    assert config.JupyterHub.template_vars == {"notebooks_hub_launcher_url": "https://notebooks.example.org/"}
    for page in ("not_running.html", "404.html", "error.html"):
        with open(os.path.join(templates, page)) as f:
            text = f.read()
        assert "{{ notebooks_hub_launcher_url }}" in text
        assert text.startswith('{% extends "templates/' + page + '" %}') or page == "404.html"


def test_without_a_launcher_the_hub_keeps_its_own_pages_and_one_provider_is_entered_at_once(monkeypatch, tmp_path):
    config = load(monkeypatch, tmp_path)
    assert "default_url" not in config.JupyterHub
    assert "template_paths" not in config.JupyterHub
    assert config.Authenticator.auto_login is True


@pytest.mark.parametrize("spawner,expected", [
    ("local", "notebooks_hub_spawner.local.NotebooksHubLocalSpawner"),
    ("kubernetes", "kubespawner.KubeSpawner"),
])
def test_the_environment_chooses_the_spawner(monkeypatch, tmp_path, spawner, expected):
    config = load(monkeypatch, tmp_path, NOTEBOOKS_HUB_SPAWNER=spawner, **(KUBE_ENV if spawner == "kubernetes" else {}))
    assert config.JupyterHub.spawner_class == expected


KUBE_ENV = {"NOTEBOOKS_HUB_API_URL": "http://notebooks-hub-api", "NOTEBOOKS_HUB_SPAWNER_TOKEN": "s" * 64}


def test_on_kubernetes_the_hooks_build_servers_from_the_apis_plan(monkeypatch, tmp_path):
    from notebooks_hub_spawner import kubernetes

    config = load(monkeypatch, tmp_path, NOTEBOOKS_HUB_SPAWNER="kubernetes", **KUBE_ENV)
    k = config.KubeSpawner
    assert inspect.iscoroutinefunction(k.pre_spawn_hook) and inspect.iscoroutinefunction(k.post_stop_hook)
    assert k.post_stop_hook is kubernetes.post_stop_hook
    assert callable(k.modify_pod_hook)
    # The hook asks the configured API, with the spawner's token.
    settings = inspect.getclosurevars(k.pre_spawn_hook).nonlocals["settings"]
    assert (settings.api_url, settings.spawner_token) == (KUBE_ENV["NOTEBOOKS_HUB_API_URL"], "s" * 64)


def test_on_kubernetes_the_hub_refuses_to_start_without_the_api(monkeypatch, tmp_path):
    with pytest.raises(OptionsError, match="NOTEBOOKS_HUB_API_URL and NOTEBOOKS_HUB_SPAWNER_TOKEN must be set"):
        load(monkeypatch, tmp_path, NOTEBOOKS_HUB_SPAWNER="kubernetes")


def test_people_may_use_but_not_start_servers_at_the_hub(monkeypatch, tmp_path):
    """Only the API's service may start, stop or delete servers: the user
    role has no `servers` or `admin:servers` scope, filtered or not."""
    roles = {role["name"]: role for role in load(monkeypatch, tmp_path).JupyterHub.load_roles}
    user_scopes = roles["user"]["scopes"]
    assert "access:servers!user" in user_scopes
    assert not [s for s in user_scopes if s.split("!")[0] in ("servers", "admin:servers", "self", "admin:users", "users")]
    assert "admin:servers" in roles["notebooks-hub-api"]["scopes"]


def test_users_sign_in_with_generic_oauthenticator_at_the_apis_provider_by_default(monkeypatch, tmp_path):
    config = load(monkeypatch, tmp_path)
    assert config.JupyterHub.authenticator_class == "generic-oauth"
    settings = config.GenericOAuthenticator
    assert {name: settings[name] for name in sign_in.GENERIC_OAUTHENTICATOR} == sign_in.GENERIC_OAUTHENTICATOR
    assert settings.enable_pkce is True and settings.username_claim == "email" and settings.refresh_pre_spawn is False
    assert settings.modify_auth_state_hook is sign_in.require_verified_email


@pytest.mark.parametrize("missing", ["OAUTH2_AUTHORIZE_URL", "OAUTH2_TOKEN_URL", "OAUTH_CLIENT_ID", "OAUTH_CALLBACK_URL", "JUPYTERHUB_CRYPT_KEY"])
def test_the_sign_in_refuses_to_start_without_its_provider_client_or_crypt_key(monkeypatch, tmp_path, missing):
    with pytest.raises(SystemExit, match=missing):
        load(monkeypatch, tmp_path, **{missing: ""})


def test_plain_http_provider_endpoints_only_on_this_machine_or_when_allowed(monkeypatch, tmp_path):
    remote = {"OAUTH2_AUTHORIZE_URL": "http://keycloak:8080/auth", "OAUTH2_TOKEN_URL": "http://keycloak:8080/token"}
    with pytest.raises(SystemExit, match="http://keycloak:8080/auth is not https"):
        load(monkeypatch, tmp_path, **remote)
    assert load(monkeypatch, tmp_path, NOTEBOOKS_HUB_OIDC_ALLOW_HTTP="true", **remote).GenericOAuthenticator.authorize_url is not None
    local = {"OAUTH2_AUTHORIZE_URL": "http://127.0.0.1:3000/oidc/auth", "OAUTH2_TOKEN_URL": "http://localhost:3000/oidc/token"}
    assert load(monkeypatch, tmp_path, **local).JupyterHub.authenticator_class == "generic-oauth"


def test_a_proxy_command_from_the_environment(monkeypatch, tmp_path):
    config = load(monkeypatch, tmp_path, NOTEBOOKS_HUB_PROXY_COMMAND="'/opt/node 22/bin/node' /srv/chp/configurable-http-proxy")
    assert config.ConfigurableHTTPProxy.command == ["/opt/node 22/bin/node", "/srv/chp/configurable-http-proxy"]


def test_it_refuses_to_start_without_the_service_token_or_with_an_unknown_choice(monkeypatch, tmp_path):
    with pytest.raises(SystemExit, match="JUPYTERHUB_API_TOKEN"):
        load(monkeypatch, tmp_path, JUPYTERHUB_API_TOKEN="")
    with pytest.raises(SystemExit, match="NOTEBOOKS_HUB_SPAWNER"):
        load(monkeypatch, tmp_path, NOTEBOOKS_HUB_SPAWNER="docker")


# --- deploy/kubernetes/zero-to-jupyterhub/values.yaml -------------------------

VALUES = os.path.join(os.path.dirname(__file__), "..", "..", "deploy", "kubernetes", "zero-to-jupyterhub", "values.yaml")


def values():
    import yaml

    with open(VALUES) as f:
        return yaml.safe_load(f)


def test_people_may_reach_their_servers_through_the_hub_but_not_start_stop_or_delete_them():
    from itertools import chain

    from jupyterhub.scopes import _expand_scope

    roles = values()["hub"]["loadRoles"]
    user = roles["user"]
    assert "users" not in user  # every hub user keeps the (redefined) default role
    _check_scopes_exist(user["scopes"])
    granted = {s.partition("!")[0] for s in chain.from_iterable(map(_expand_scope, user["scopes"]))}
    assert {"access:servers", "read:servers", "users:activity"} <= granted
    assert not granted & {"self", "servers", "delete:servers", "admin:servers", "users", "admin:users", "shares"}
    assert all(scope.endswith("!user") for scope in user["scopes"])
    # The API's service starts, stops and deletes them.
    assert "admin:servers" in roles["notebooks-hub-api"]["scopes"]


def test_the_charts_hub_wires_the_three_hooks_and_no_vault_injector(monkeypatch):
    from notebooks_hub_spawner import kubernetes

    hub = values()["hub"]
    for name, value in hub["extraEnv"].items():
        if isinstance(value, str):
            monkeypatch.setenv(name, value)
    for name in ("NOTEBOOKS_HUB_API_SERVICE_TOKEN", "NOTEBOOKS_HUB_SPAWNER_TOKEN"):
        assert "secretKeyRef" in hub["extraEnv"][name]["valueFrom"]
        monkeypatch.setenv(name, "from-the-secret")
    config = Config()
    config.JupyterHub.services = [{"name": "notebooks-hub-api"}]
    for code in hub["extraConfig"].values():
        exec(compile(code, "extraConfig", "exec"), {"c": config})
    k = config.KubeSpawner
    assert inspect.iscoroutinefunction(k.pre_spawn_hook) and callable(k.modify_pod_hook)
    assert k.post_stop_hook is kubernetes.post_stop_hook
    settings = inspect.getclosurevars(k.pre_spawn_hook).nonlocals["settings"]
    assert settings.api_url == hub["extraEnv"]["NOTEBOOKS_HUB_API_URL"] and settings.spawner_token == "from-the-secret"
    assert config.JupyterHub.services[0]["api_token"] == "from-the-secret"
    assert config.GenericOAuthenticator.modify_auth_state_hook is sign_in.require_verified_email
    assert config.GenericOAuthenticator.refresh_user_hook is sign_in.refresh_tokens
    with open(VALUES) as f:
        text = f.read()
    assert "vault.hashicorp.com" not in text and "VAULT" not in text and "HARDWARE_FILE" not in text


def test_the_charts_hub_signs_people_in_with_the_same_policy():
    config = values()["hub"]["config"]
    assert config["JupyterHub"]["authenticator_class"] == "generic-oauth"
    settings = config["GenericOAuthenticator"]
    policy = {name: value for name, value in sign_in.GENERIC_OAUTHENTICATOR.items() if not callable(value)}
    assert {name: settings.get(name) for name in policy} == policy
    assert {"client_id", "oauth_callback_url", "authorize_url", "token_url"} <= set(settings)
    assert all(settings[url].startswith("https://") for url in ("oauth_callback_url", "authorize_url", "token_url"))
