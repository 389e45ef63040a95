"""The local spawner: what it asks the API, what it refuses before acting,
and where values go (the launch payload only, never argv, scripts or logs)."""

import asyncio
import logging
import os
import subprocess

import pytest

from helpers import ENV_SECRET, RAW_SECRET, TICKET, TOKEN, FakeApi, launch_plan, make_spawner
from notebooks_hub_spawner import accounts, cgroups, local, wrapper
from notebooks_hub_spawner.api import NOT_FROM_THE_API
from notebooks_hub_spawner.errors import SpawnError
from notebooks_hub_spawner.local import NotebooksHubLocalSpawner


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def roots(tmp_path, monkeypatch):
    # pytest's folders are under /tmp, which servers get a private copy of.
    monkeypatch.setattr(wrapper, "PRIVATE_TMP", ())
    for d in ("11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"):
        (tmp_path / "datasets" / d).mkdir(parents=True)
    mod = tmp_path / "modules" / "modulefiles" / "ann@lab.org" / "hello"
    mod.mkdir(parents=True)
    (mod / "1.0.lua").write_text('setenv("HELLO_MODULE","yes")\n')
    (tmp_path / "homes").mkdir(mode=0o711)
    (tmp_path / "datasets").chmod(0o700)
    return tmp_path


def spawner_for(roots, api_url="http://127.0.0.1:9", **extra):
    extra.setdefault("spawner_token", TOKEN)
    return make_spawner(
        NotebooksHubLocalSpawner, api_url=api_url, homes_root=str(roots / "homes"),
        datasets_root=str(roots / "datasets"), modules_root=str(roots / "modules"), **extra,
    )


def test_traits_default_from_environment(monkeypatch):
    for name, value in {"NOTEBOOKS_HUB_API_URL": "http://api", "NOTEBOOKS_HUB_SPAWNER_TOKEN": "tok",
                        "HOMES_ROOT": "/h", "DATASETS_ROOT": "/d", "MODULES_ROOT": "/m"}.items():
        monkeypatch.setenv(name, value)
    spawner = make_spawner(NotebooksHubLocalSpawner)
    assert (spawner.api_url, spawner.spawner_token, spawner.homes_root, spawner.datasets_root, spawner.modules_root) == \
        ("http://api", "tok", "/h", "/d", "/m")


def test_the_default_server_is_refused(roots):
    spawner = spawner_for(roots, server_name="")
    with pytest.raises(SpawnError, match="default \\(unnamed\\) server is disabled"):
        run(spawner.start())


@pytest.mark.parametrize("user_options", [
    {},
    {"applicationType": "notebook", "datasets": [{"id": "11111111-1111-4111-8111-111111111111", "name": "x", "write_access": True}]},
    {"launchTicket": TICKET, "datasets": []},
    {"launchTicket": "short"},
    {"launchTicket": 42},
])
def test_hand_made_options_are_refused_and_reported_before_anything_is_made(roots, user_options):
    with FakeApi(launch_plan()) as api:
        spawner = spawner_for(roots, api.url, user_options=user_options)
        with pytest.raises(SpawnError) as caught:
            run(spawner.start())
    assert str(caught.value) == NOT_FROM_THE_API
    # The API hears of it (and counts it), with no ticket to redeem.
    assert [(path, "launchTicket" in body) for path, _, body in api.requests] == [("/hub/servers/ann%40lab.org/my-work/launch", False)]
    assert os.listdir(roots / "homes") == []


def test_hand_made_options_are_refused_even_when_the_api_is_unreachable(roots):
    with pytest.raises(SpawnError) as caught:
        run(spawner_for(roots, user_options={"datasets": []}, api_timeout=1).start())
    assert str(caught.value) == NOT_FROM_THE_API


def test_a_refused_ticket_starts_nothing(roots):
    with FakeApi(launch_plan()) as api:
        api.redeemed = True  # a replay: the API answers 403
        spawner = spawner_for(roots, api.url)
        with pytest.raises(SpawnError) as caught:
            run(spawner.start())
    assert str(caught.value) == NOT_FROM_THE_API
    path, auth, body = api.requests[0]
    assert path == "/hub/servers/ann%40lab.org/my-work/launch"
    assert auth == f"Bearer {TOKEN}"
    assert body == {"launchTicket": TICKET, "limitsEnforced": bool(cgroups.detect())}
    assert os.listdir(roots / "homes") == []


@pytest.mark.parametrize("status", [401, 404, 500])
def test_api_errors_name_the_status_never_a_body(roots, status):
    with FakeApi(launch_plan(), status=status) as api:
        spawner = spawner_for(roots, api.url, spawner_token="wrong" if status == 401 else TOKEN)
        with pytest.raises(SpawnError) as caught:
            run(spawner.start())
    assert f"HTTP {status}" in str(caught.value) and ENV_SECRET not in str(caught.value)


def test_an_unreachable_api(roots):
    with pytest.raises(SpawnError, match="Could not fetch the launch plan"):
        run(spawner_for(roots, api_timeout=2).start())


def test_a_plan_the_hub_cannot_serve_is_named(roots):
    (roots / "modules" / "modulefiles" / "ann@lab.org" / "hello" / "1.0.lua").unlink()
    with FakeApi(launch_plan()) as api:
        with pytest.raises(SpawnError, match="module ann@lab.org/hello/1.0 is not installed"):
            run(spawner_for(roots, api.url, applications={"notebook": {"cmd": ["true"]}}).start())


def test_roots_inside_a_private_temporary_folder_are_refused(tmp_path):
    spawner = make_spawner(NotebooksHubLocalSpawner, homes_root=str(tmp_path))
    with pytest.raises(SpawnError, match="HOMES_ROOT is inside a temporary folder"):
        spawner._check_roots(local.lp.parse_launch_plan(launch_plan(datasets=[], modules=[]), "ann@lab.org", "my-work"))


def test_a_datasets_root_open_to_others_is_refused(roots):
    (roots / "datasets").chmod(0o711)
    with pytest.raises(SpawnError, match="DATASETS_ROOT must be closed"):
        spawner_for(roots)._check_roots(local.lp.parse_launch_plan(launch_plan(), "ann@lab.org", "my-work"))


def test_account_names_are_derived_not_taken():
    # The same examples hold the API (test/unit/system-account.test.ts).
    assert accounts.account_name("bob@example.org") == "nbh-bob-686b5e4cf4"
    assert accounts.account_name("Élise.O+x@lab.org") == "nbh-liseox-b388127f55"
    assert accounts.account_name("@x") == "nbh-37f6276fa8"
    assert accounts.account_name("$(reboot)@x.org").startswith("nbh-reboot-")
    assert accounts.account_name("@example.org").startswith("nbh-") and len(accounts.account_name("a" * 300)) <= 32
    for bad in ("", "..", "a/b", "a\nb"):
        with pytest.raises(SpawnError):
            accounts.home_entry(bad)


def test_values_go_only_into_the_payload(roots, monkeypatch, caplog):
    """The argv (readable by anyone in /proc) and the root part's environment
    hold no value; the payload the person's part reads holds them all."""
    seen = {}

    class FakePopen(subprocess.Popen):
        def __init__(self, cmd, env, pass_fds, preexec_fn, start_new_session):
            seen.update(cmd=cmd, env=env)
            with open(f"/proc/self/fd/{pass_fds[0]}", "rb") as handle:
                seen["payload"] = handle.read()
            self.pid = 4242

    monkeypatch.setattr(local, "Popen", FakePopen)
    monkeypatch.setattr(accounts, "ensure_account", lambda user, home: accounts.Account("nbh-ann-x", 4321, 4321))
    monkeypatch.setattr(accounts, "prepare_home", lambda root, user, account: f"{root}/{user}")
    monkeypatch.setattr(cgroups, "detect", lambda root: [])
    caplog.set_level(logging.DEBUG)
    with FakeApi(launch_plan()) as api:
        spawner = spawner_for(roots, api.url, applications={"notebook": {"cmd": ["true"]}})
        spawner.environment = {"BASH_ENV": "/tmp/evil"}
        spawner.api_token = "the-server-token-0123456789"
        run(spawner.start())
    argv = "\0".join(seen["cmd"])
    for value in (ENV_SECRET, RAW_SECRET, TOKEN, spawner.api_token):
        assert value not in argv and value not in caplog.text
        assert value not in "".join(seen["env"].values())
    assert seen["env"] == wrapper.ROOT_ENV
    fields = seen["payload"].split(b"\0")
    assert b"DB_PASS" in fields and ENV_SECRET.encode() in fields and RAW_SECRET.encode() in fields
    assert b"BASH_ENV" in fields  # only the person's own part ever sees it
    assert "--no-new-privs" in argv and "--reuid=4321" in argv
    assert spawner.mem_limit == 256 * 1024 * 1024 and spawner.cpu_limit == 0.5


def test_the_scripts_are_valid_bash(roots):
    plan = wrapper.WrapperPlan(home="/home/a b", datasets_dir="/home/a b/datasets", run_as=wrapper.RunAs(1, 1), payload_fd=5,
                               mounts=[local.lp.Mount("/d/x", "/home/a b/datasets/it's", True)], secrets_dir="/home/a b/.secrets",
                               modulepath="/m/modulefiles", modules=["o@x/n/1"])
    for script in (wrapper.setup_script(plan), wrapper.start_script(plan)):
        assert subprocess.run(["bash", "-n", "-c", script]).returncode == 0


def test_servers_run_the_hub_environments_own_jupyterhub_singleuser_whatever_path_says(monkeypatch):
    import sysconfig

    from notebooks_hub_spawner.plan import DEFAULT_APPLICATIONS

    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    for application in ("jupyterlab", "notebook"):
        assert local.server_command(DEFAULT_APPLICATIONS[application]) == [
            os.path.join(sysconfig.get_path("scripts"), "jupyterhub-singleuser")
        ]
        assert local.application_installed(DEFAULT_APPLICATIONS[application])
    assert local.server_command({"cmd": ["true", "-x"]}) == ["/usr/bin/true", "-x"]
    assert local.server_command({"cmd": ["no-such-server-program"]}) is None
    assert not local.application_installed({"cmd": ["true"], "requires": ["no_such_package"]})
