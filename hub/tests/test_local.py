"""The local spawners: traits, refusals, the generated wrapper and where
secret values go (environment and files only, never argv, scripts or logs)."""

import asyncio
import logging
import os
import subprocess

import pytest

from helpers import (ENV_SECRET, RAW_SECRET, TOKEN, FakeApi, make_spawner,
                     secret_options, secret_values)
from notebooks_hub_spawner import local
from notebooks_hub_spawner.errors import OptionsError, SpawnError
from notebooks_hub_spawner.local import (NotebooksHubLocalSpawner,
                                         NotebooksHubSimpleLocalSpawner)

D_RO = "11111111-1111-4111-8111-111111111111"
D_RW = "22222222-2222-4222-8222-222222222222"
M1 = "44444444-4444-4444-8444-444444444444"


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def roots(tmp_path):
    """A datasets root with two datasets, a modules root with one modulefile,
    a hardware file and a home template."""
    for d in (D_RO, D_RW):
        (tmp_path / "datasets" / d).mkdir(parents=True)
        (tmp_path / "datasets" / d / "hello.txt").write_text(f"hello from {d}\n")
    mod = tmp_path / "modules" / "modulefiles" / "ann@lab.org" / "hello"
    mod.mkdir(parents=True)
    (mod / "1.0.lua").write_text('setenv("HELLO_MODULE","yes")\n')
    (tmp_path / "hardware.json").write_text('[{"name": "small", "cpu": 1.5, "memory": "2G"}]')
    return tmp_path


def full_options(home, app="notebook"):
    return {
        "applicationType": app,
        "hardware": "small",
        "datasets": [{"id": D_RO, "name": "Read only", "write_access": False},
                     {"id": D_RW, "name": "rw", "write_access": True}],
        "modules": [{"id": M1, "owner": "ann@lab.org", "name": "hello", "version": "1.0",
                     "module_path": "ann@lab.org/hello", "write_access": False}],
        "secrets": secret_options(f"{home}/.secret/key.pem"),
    }


def simple_spawner(roots, api_url="http://127.0.0.1:9", user_options=None, **extra):
    home_template = str(roots / "home" / "{username}")
    spawner = make_spawner(
        NotebooksHubSimpleLocalSpawner,
        home_dir_template=home_template,
        api_url=api_url, spawner_token=TOKEN,
        datasets_root=str(roots / "datasets"), modules_root=str(roots / "modules"),
        hardware_file=str(roots / "hardware.json"), **extra,
    )
    spawner.user_options = user_options if user_options is not None else full_options(spawner.home_dir)
    return spawner


# -- configuration -----------------------------------------------------------------

def test_traits_default_from_environment(monkeypatch):
    monkeypatch.setenv("NOTEBOOKS_HUB_API_URL", "http://api:3000")
    monkeypatch.setenv("NOTEBOOKS_HUB_SPAWNER_TOKEN", "t")
    monkeypatch.setenv("DATASETS_ROOT", "/srv/datasets")
    monkeypatch.setenv("MODULES_ROOT", "/srv/modules")
    monkeypatch.setenv("HARDWARE_FILE", "/etc/hw.json")
    spawner = make_spawner(NotebooksHubLocalSpawner)
    assert (spawner.api_url, spawner.spawner_token, spawner.datasets_root, spawner.modules_root,
            spawner.hardware_file) == ("http://api:3000", "t", "/srv/datasets", "/srv/modules", "/etc/hw.json")
    assert "notebook" in spawner.applications


def test_traits_from_config():
    spawner = make_spawner(NotebooksHubLocalSpawner, api_url="http://x", applications={"a": {"cmd": ["a"]}})
    assert spawner.api_url == "http://x" and spawner.applications == {"a": {"cmd": ["a"]}}


# -- refusals ------------------------------------------------------------------------

def test_default_server_is_refused(roots):
    spawner = simple_spawner(roots)
    spawner.orm_spawner.name = ""
    with pytest.raises(SpawnError, match="default \\(unnamed\\) server is disabled"):
        spawner.run_pre_spawn_hook()


def test_pre_spawn_hook_validates_and_runs_the_configured_hook(roots):
    called = []
    spawner = simple_spawner(roots, pre_spawn_hook=lambda s: called.append(s))
    spawner.run_pre_spawn_hook()
    assert called == [spawner]
    spawner.user_options = {"applicationType": "notebook", "bogus": 1}
    with pytest.raises(OptionsError, match="unknown field"):
        spawner.run_pre_spawn_hook()


def test_jupyterlab_is_not_installed_here(roots):
    """JupyterLab is not installed on this machine: the message names it."""
    spawner = simple_spawner(roots, user_options={"applicationType": "jupyterlab"})
    with pytest.raises(OptionsError) as info:
        run(spawner.start())
    assert "'jupyterlab' is not installed on this hub" in info.value.jupyterhub_message


def test_missing_dataset_and_module_are_named(roots):
    spawner = simple_spawner(roots)
    spawner.user_options["datasets"][0]["id"] = "99999999-9999-4999-8999-999999999999"
    with pytest.raises(SpawnError, match="dataset 'Read only' .* is not available"):
        spawner.check_options()
    spawner = simple_spawner(roots)
    spawner.user_options["modules"][0]["version"] = "2.0"
    with pytest.raises(SpawnError, match="module ann@lab.org/hello/2.0 is not installed"):
        spawner.check_options()


def test_no_unshare_fails_clearly(roots, monkeypatch):
    monkeypatch.setattr(local, "UNSHARE", ("false", "--"))
    spawner = simple_spawner(roots)
    with pytest.raises(SpawnError, match="may not create a private mount namespace"):
        run(spawner.prepare_launch())
    monkeypatch.setattr(local.shutil, "which", lambda name: None)
    with pytest.raises(SpawnError, match="'unshare' .* is not installed"):
        run(spawner._check_unshare())


@pytest.mark.parametrize("status", [401, 403, 404, 409])
def test_secret_fetch_errors_name_the_status_not_values(roots, status):
    with FakeApi(secret_values("/x/y/z"), status=status) as api:
        spawner = simple_spawner(roots, api_url=api.url)
        with pytest.raises(SpawnError, match=f"HTTP {status}") as info:
            run(spawner.secret_values(local.opt.parse_user_options(spawner.user_options)))
    assert ENV_SECRET not in str(info.value)


def test_wrong_token_is_refused(roots):
    with FakeApi([]) as api:
        spawner = simple_spawner(roots, api_url=api.url)
        spawner.spawner_token = "wrong"
        with pytest.raises(SpawnError, match="HTTP 401"):
            run(spawner.secret_values(local.opt.parse_user_options(spawner.user_options)))


def test_unreachable_api(roots):
    spawner = simple_spawner(roots, api_url="http://127.0.0.1:9", secrets_timeout=2)
    with pytest.raises(SpawnError, match="Could not fetch the secrets of server 'my work'"):
        run(spawner.secret_values(local.opt.parse_user_options(spawner.user_options)))


def test_secret_outside_home_is_refused(roots):
    with FakeApi(secret_values("/etc/ssl/key.pem")) as api:
        spawner = simple_spawner(roots, api_url=api.url)
        spawner.user_options = {**full_options(spawner.home_dir), "secrets": secret_options("/etc/ssl/key.pem")}
        with pytest.raises(OptionsError, match="must be in a folder inside"):
            run(spawner.prepare_launch())


# -- the generated launch --------------------------------------------------------------

class FakePopen(subprocess.Popen):
    """Captures what start() would run (a Popen subclass: the trait checks it)."""
    calls = []

    def __init__(self, cmd, **kwargs):
        FakePopen.calls.append((cmd, kwargs))
        self.pid = 4242

    def __del__(self):
        pass


def test_start_puts_values_only_in_the_environment(roots, monkeypatch, caplog):
    FakePopen.calls = []
    monkeypatch.setattr(local, "Popen", FakePopen)
    caplog.set_level(logging.DEBUG)
    with FakeApi(None) as api:
        spawner = simple_spawner(roots, api_url=api.url)
        spawner.log = logging.getLogger("test-spawner")
        home = spawner.home_dir
        api.values = secret_values(f"{home}/.secret/key.pem")
        ip, port = run(spawner.start())
    assert api.requests == [("/hub/servers/ann/my%20work/secrets", f"Bearer {TOKEN}")]
    (cmd, kwargs), = FakePopen.calls
    env = kwargs["env"]
    # values: in the environment only
    assert env["DB_PASS"] == ENV_SECRET
    assert env["NBHUB_RAW_SECRET_0"] == RAW_SECRET
    assert env["JUPYTERHUB_SINGLEUSER_APP"] == "notebook.notebookapp.NotebookApp"
    assert env["MEM_LIMIT"] == str(2 * 1024**3) and env["CPU_LIMIT"] == "1.5"
    assert env["HOME"] == home
    argv = "\n".join(cmd)
    for value in (ENV_SECRET, RAW_SECRET, "s3cr3t"):
        assert value not in argv
        assert all(value not in r.getMessage() for r in caplog.records)
    assert spawner._launch is None  # no lingering reference to values
    # the wrapper
    assert cmd[:5] == ["unshare", "--mount", "--propagation", "private", "--"]
    script = cmd[7]
    assert f"mount --bind -- {roots}/datasets/{D_RO} '{home}/datasets/Read only'" in script
    assert f"mount -o remount,bind,ro -- '{home}/datasets/Read only'" in script
    assert f"mount -o remount,bind,ro -- {home}/datasets/rw" not in script
    assert f"nbhub-secrets {home}/.secret" in script
    assert "unset NBHUB_RAW_SECRET_0" in script
    assert "module load ann@lab.org/hello/1.0" in script
    assert f"export MODULEPATH={roots}/modules/modulefiles" in script
    assert "setpriv" not in script  # the simple variant keeps the hub's user
    assert cmd[8] == "nbhub-setup" and cmd[9] == "jupyterhub-singleuser"
    assert f":{port}/" in env["JUPYTERHUB_SERVICE_URL"]
    assert any("Spawning unshare" in r.getMessage() for r in caplog.records)


def test_local_variant_drops_to_the_user(roots, monkeypatch):
    """The real-user variant starts as root (no setuid preexec) and setprivs."""
    spawner = make_spawner(NotebooksHubLocalSpawner, user="nobody", datasets_root=str(roots / "datasets"),
                           modules_root=str(roots / "modules"))
    spawner.user_options = {"applicationType": "notebook",
                            "datasets": [{"id": D_RO, "name": "d", "write_access": False}]}
    monkeypatch.setattr(spawner, "_check_unshare", lambda: asyncio.sleep(0))
    launch = run(spawner.prepare_launch())
    assert spawner.make_preexec_fn("nobody") is None
    assert launch.plan.run_as == local.RunAs(65534, 65534)
    from notebooks_hub_spawner.wrapper import setup_script
    assert "exec setpriv --reuid=65534 --regid=65534 --init-groups -- /bin/bash -c" in setup_script(launch.plan)
