"""End-to-end as root: the spawner's real start() redeems a ticket at a
double of the API, makes the person's account and home, and runs its
generated wrapper (private mount namespace, cgroups, privilege drop) around
a probe command instead of jupyterhub-singleuser; the probe reports what a
server would see."""

import asyncio
import os
import pwd
import shutil
import stat
import subprocess
import tempfile

import pytest

from helpers import D_RO, D_RW, ENV_SECRET, RAW_SECRET, TOKEN, FakeApi, launch_plan, make_spawner
from notebooks_hub_spawner import accounts, cgroups
from notebooks_hub_spawner.local import NotebooksHubLocalSpawner

USER = "e2e-ann@lab.org"
#: Outside /tmp, /var/tmp and /dev/shm, which every server gets a private copy of.
TEST_ROOT = "/var/lib/notebooks-hub-tests"


def _root_may_unshare() -> bool:
    if os.getuid() != 0 or not shutil.which("unshare") or not shutil.which("useradd"):
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "mount", "-t", "tmpfs", "x", "/mnt"],
                           capture_output=True)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not _root_may_unshare(), reason="needs root that may create mount namespaces and accounts")

# Runs where jupyterhub-singleuser would; writes KEY=VALUE lines to $PROBE_OUT.
PROBE = r"""
{
  echo "uid=$(id -u)"
  echo "user=$USER"
  echo "ro_content=$(cat "$HOME/datasets/Read only/hello.txt")"
  if err=$(touch "$HOME/datasets/Read only/new" 2>&1); then echo ro_write=ok; else echo "ro_write=$err"; fi
  if echo written > "$HOME/datasets/rw/new.txt"; then echo rw_write=ok; else echo rw_write=failed; fi
  echo "hello_module=${HELLO_MODULE:-unset}"
  echo "db_pass=${DB_PASS:-unset}"
  echo "raw=$(cat "$HOME/.secrets/ssh/key.pem" | head -1)"
  echo "raw_mode=$(stat -c %a "$HOME/.secrets/ssh/key.pem")"
  echo "secrets_fs=$(stat -f -c %T "$HOME/.secrets")"
  echo "tmp_fs=$(stat -f -c %T /tmp)"
  if echo x > "$OTHER_HOME/intrusion" 2>/dev/null; then echo other_home=writable; else echo other_home=closed; fi
  if ls "$OTHER_HOME" >/dev/null 2>&1; then echo other_list=readable; else echo other_list=closed; fi
  if echo x > "$HOMES/new-home" 2>/dev/null; then echo homes_root=writable; else echo homes_root=closed; fi
  echo "payload_fds=$(ls /proc/self/fd | wc -l)"
  if python3 -c 'bytearray(400 * 1024 * 1024)' 2>/dev/null; then echo big_alloc=survived; else echo "big_alloc=killed:$?"; fi
  echo done=yes
} > "$PROBE_OUT" 2>&1
"""


@pytest.fixture
def world():
    os.makedirs(TEST_ROOT, mode=0o711, exist_ok=True)
    root = tempfile.mkdtemp(prefix="e2e-", dir=TEST_ROOT)
    os.chmod(root, 0o711)
    for d in (D_RO, D_RW):
        os.makedirs(f"{root}/datasets/{d}")
        with open(f"{root}/datasets/{d}/hello.txt", "w") as f:
            f.write(f"hello {d}\n")
    os.chmod(f"{root}/datasets/{D_RW}", 0o777)
    os.makedirs(f"{root}/modules/modulefiles/ann@lab.org/hello")
    with open(f"{root}/modules/modulefiles/ann@lab.org/hello/1.0.lua", "w") as f:
        f.write('setenv("HELLO_MODULE","yes")\n')
    os.chmod(f"{root}/modules", 0o755)
    os.chmod(f"{root}/datasets", 0o700)
    os.makedirs(f"{root}/homes/someone-else", mode=0o700)
    os.chmod(f"{root}/homes", 0o711)
    os.makedirs(f"{root}/out")
    os.chmod(f"{root}/out", 0o777)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _mounts() -> str:
    with open("/proc/self/mountinfo") as f:
        return f.read()


def _start(world, marker):
    spawner = make_spawner(
        NotebooksHubLocalSpawner, user=USER, spawner_token=TOKEN, homes_root=f"{world}/homes",
        datasets_root=f"{world}/datasets", modules_root=f"{world}/modules",
        applications={"notebook": {"cmd": ["/bin/bash", "-c", PROBE]}},
    )
    spawner.environment = {
        "PROBE_OUT": f"{world}/out/result", "OTHER_HOME": f"{world}/homes/someone-else", "HOMES": f"{world}/homes",
        # Were the root part to read it, it would write the marker as root.
        "BASH_ENV": marker,
    }
    with FakeApi(launch_plan(user=USER)) as api:
        spawner.api_url = api.url
        asyncio.run(spawner.start())
        assert spawner.proc.wait(timeout=120) == 0
    asyncio.run(spawner.stop())
    with open(f"{world}/out/result") as f:
        return spawner, dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line)


def test_a_server_runs_as_the_persons_account_with_only_its_plan(world):
    marker_script = f"{world}/out/bash_env.sh"
    with open(marker_script, "w") as f:
        f.write(f'[ "$(id -u)" = 0 ] && echo root > {world}/out/root-sourced\n')
    before = _mounts()
    spawner, result = _start(world, marker_script)
    account = pwd.getpwnam(accounts.account_name(USER))
    assert result["done"] == "yes"
    assert result["uid"] == str(account.pw_uid) != "0"
    assert result["user"] == account.pw_name
    assert account.pw_gecos == accounts.GECOS and account.pw_shell == accounts.NOLOGIN
    home = os.stat(f"{world}/homes/{USER}")
    assert (home.st_uid, stat.S_IMODE(home.st_mode)) == (account.pw_uid, 0o700)
    assert result["ro_content"] == f"hello {D_RO}"
    assert "Read-only file system" in result["ro_write"]
    assert result["rw_write"] == "ok" and open(f"{world}/datasets/{D_RW}/new.txt").read() == "written\n"
    assert result["hello_module"] == "yes"
    assert result["db_pass"] == ENV_SECRET
    assert result["raw"] == RAW_SECRET.splitlines()[0] and result["raw_mode"] == "600"
    assert result["secrets_fs"] == "tmpfs" and result["tmp_fs"] == "tmpfs"
    assert (result["other_home"], result["other_list"], result["homes_root"]) == ("closed", "closed", "closed")
    assert not os.path.exists(f"{world}/out/root-sourced")
    # Nothing stays mounted on the host; the secret never touched its disk.
    assert _mounts() == before
    assert not os.path.exists(f"{world}/homes/{USER}/.secrets/ssh")


@pytest.mark.skipif(not cgroups.detect(), reason="no writable cgroup hierarchy on this machine")
def test_an_allocation_past_the_memory_limit_is_killed(world):
    spawner, result = _start(world, "/nonexistent")
    assert result["big_alloc"].startswith("killed")
    name = cgroups.group_name(USER, "my-work")
    assert not any(os.path.exists(os.path.join(h.path, cgroups.PARENT, name)) for h in cgroups.detect())
