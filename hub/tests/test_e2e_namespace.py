"""End-to-end: the spawner's real start() runs its generated wrapper (as
root, in a private mount namespace) around a probe command instead of
jupyterhub-singleuser, and the probe reports what a server would see."""

import asyncio
import os
import shutil
import stat
import subprocess
import tempfile

import pytest

from helpers import ENV_SECRET, RAW_SECRET, TOKEN, FakeApi, make_spawner, secret_options, secret_values
from notebooks_hub_spawner.local import NotebooksHubLocalSpawner, NotebooksHubSimpleLocalSpawner

D_RO = "11111111-1111-4111-8111-111111111111"
D_RW = "22222222-2222-4222-8222-222222222222"
M1 = "44444444-4444-4444-8444-444444444444"


def _unshare_allowed() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "mount", "-t", "tmpfs", "x", "/mnt"],
                           capture_output=True)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(
    not _unshare_allowed(),
    reason="this process may not create a mount namespace and mount in it (`unshare --mount` needs root/CAP_SYS_ADMIN)",
)

# Runs where jupyterhub-singleuser would; writes KEY=VALUE lines to $1.
PROBE = r"""
out=$PROBE_OUT
{
  echo "ro_content=$(cat "$HOME/datasets/Read only/hello.txt")"
  echo "rw_content=$(cat "$HOME/datasets/rw/hello.txt")"
  if err=$(touch "$HOME/datasets/Read only/new" 2>&1); then echo ro_write=ok; else echo "ro_write=$err"; fi
  if echo written > "$HOME/datasets/rw/new.txt"; then echo rw_write=ok; else echo rw_write=failed; fi
  echo "hello_module=${HELLO_MODULE:-unset}"
  source /usr/share/lmod/lmod/init/bash
  echo "module_list=$(module -t list 2>&1 | tr '\n' ' ')"
  echo "db_pass=${DB_PASS:-unset}"
  echo "raw_var=${NBHUB_RAW_SECRET_0:-unset}"
  echo "raw_mode=$(stat -c %a "$HOME/.secret/key.pem")"
  echo "raw_owner=$(stat -c %u "$HOME/.secret/key.pem")"
  echo "uid=$(id -u)"
} > "$out" 2>&1
cp "$HOME/.secret/key.pem" "$out.raw"
"""


@pytest.fixture
def world():
    """World-readable temp tree (pytest's tmp dirs are 0700, which a dropped
    user could not enter)."""
    root = tempfile.mkdtemp(prefix="nbhub-e2e-")
    os.chmod(root, 0o755)
    for d in (D_RO, D_RW):
        os.makedirs(f"{root}/datasets/{d}")
        with open(f"{root}/datasets/{d}/hello.txt", "w") as f:
            f.write(f"hello {d}\n")
    os.chmod(f"{root}/datasets/{D_RW}", 0o777)
    os.makedirs(f"{root}/modules/modulefiles/ann@lab.org/hello")
    with open(f"{root}/modules/modulefiles/ann@lab.org/hello/1.0.lua", "w") as f:
        f.write('setenv("HELLO_MODULE","yes")\n')
    os.makedirs(f"{root}/out")
    os.chmod(f"{root}/out", 0o777)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _mounts() -> str:
    with open("/proc/self/mountinfo") as f:
        return f.read()


def _user_options(home):
    return {
        "applicationType": "probe",
        "datasets": [{"id": D_RO, "name": "Read only", "write_access": False},
                     {"id": D_RW, "name": "rw", "write_access": True}],
        "modules": [{"id": M1, "owner": "ann@lab.org", "name": "hello", "version": "1.0",
                     "module_path": "ann@lab.org/hello", "write_access": False}],
        "secrets": secret_options(f"{home}/.secret/key.pem"),
    }


def _run(spawner, world, home):
    with FakeApi(secret_values(f"{home}/.secret/key.pem")) as api:
        spawner.api_url = api.url
        spawner.environment = {"PROBE_OUT": f"{world}/out/result"}
        asyncio.run(spawner.start())
        assert spawner.proc.wait(timeout=60) == 0
    with open(f"{world}/out/result") as f:
        result = dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line)
    with open(f"{world}/out/result.raw") as f:
        raw = f.read()
    return result, raw


def _check(result, raw, world, home, uid):
    assert result["ro_content"] == f"hello {D_RO}"
    assert result["rw_content"] == f"hello {D_RW}"
    assert "Read-only file system" in result["ro_write"]
    assert result["rw_write"] == "ok"
    assert open(f"{world}/datasets/{D_RW}/new.txt").read() == "written\n"
    assert not os.path.exists(f"{world}/datasets/{D_RO}/new")
    assert result["hello_module"] == "yes"
    assert "ann@lab.org/hello/1.0" in result["module_list"]
    assert result["db_pass"] == ENV_SECRET
    assert result["raw_var"] == "unset"
    assert result["raw_mode"] == "600"
    assert result["raw_owner"] == str(uid) and result["uid"] == str(uid)
    assert raw == RAW_SECRET
    # Nothing stays mounted on the host, and the secret never touched its disk.
    assert world not in _mounts()
    assert not os.path.exists(f"{home}/.secret/key.pem")


def _spawner(cls, world, **extra):
    spawner = make_spawner(
        cls, spawner_token=TOKEN,
        datasets_root=f"{world}/datasets", modules_root=f"{world}/modules",
        applications={"probe": {"cmd": ["/bin/bash", "-c", PROBE]}}, **extra,
    )
    return spawner


def test_simple_spawner_end_to_end_as_root(world):
    spawner = _spawner(NotebooksHubSimpleLocalSpawner, world, home_dir_template=f"{world}/home/{{username}}")
    home = spawner.home_dir
    spawner.user_options = _user_options(home)
    before = _mounts()
    result, raw = _run(spawner, world, home)
    _check(result, raw, world, home, uid=0)
    assert _mounts() == before


def test_local_spawner_end_to_end_drops_to_the_user(world, monkeypatch):
    """The production variant: mounts as root, then setpriv to the user."""
    home = f"{world}/home/nobody"
    os.makedirs(home)
    os.chown(home, 65534, 65534)
    spawner = _spawner(NotebooksHubLocalSpawner, world)
    spawner.user = type(spawner.user)(name="nobody", escaped_name="nobody", url="/user/nobody/")
    monkeypatch.setattr(spawner, "server_home", lambda: home)
    spawner.user_options = _user_options(home)
    monkeypatch.setattr(spawner, "user_env", lambda env: {**env, "HOME": home, "USER": "nobody"})
    result, raw = _run(spawner, world, home)
    _check(result, raw, world, home, uid=65534)
