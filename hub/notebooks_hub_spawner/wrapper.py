"""The command line that starts a local server inside its own mount namespace.

The generated argv is::

    unshare --mount --propagation private -- /bin/bash --noprofile --norc -c <SETUP> nbhub-setup <server cmd...>

``SETUP`` runs as root inside the new namespace, with a fixed environment
the spawner sets (nothing of the person's reaches it, so no variable such
as ``BASH_ENV`` can make root run anything): it gives the server private
temporary folders, mounts the datasets and the secrets folder, then drops
to the person's account (``setpriv``, no new privileges, no capabilities)
and runs ``START`` in an empty environment.  ``START`` runs as the person:
it reads the server's environment and secret files from the launch
payload (a descriptor the spawner passes), loads the Lmod modules and
``exec``s the server command (``"$@"``).

Why this shape:

* Mounts made in a private mount namespace are invisible to the host and to
  other people, and vanish when the last process in it exits.
* Everything a person chose (variables, secret file names, modules) is
  handled only after the privileges are dropped, by the person's own
  process.  The root part gets paths the spawner made, each shell-quoted.
* The scripts are passed on the command line, which anyone on the machine
  can read in /proc, so they hold paths and names only.  Values travel in
  the payload, a memory file readable only through the descriptor.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from typing import Mapping, Sequence

from .plan import FileSecret, Mount

DEFAULT_LMOD_INIT = "/usr/share/lmod/lmod/init/bash"
UNSHARE = ("unshare", "--mount", "--propagation", "private", "--")
BASH = ("/bin/bash", "--noprofile", "--norc")
#: The whole environment of the root part.
ROOT_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
#: Folders every process on a machine may write: private per server.
PRIVATE_TMP = (("/tmp", "1g"), ("/var/tmp", "256m"), ("/dev/shm", "256m"))


@dataclass(frozen=True)
class RunAs:
    uid: int
    gid: int


@dataclass(frozen=True)
class WrapperPlan:
    home: str
    datasets_dir: str
    run_as: RunAs
    payload_fd: int
    mounts: Sequence[Mount] = ()
    secrets_dir: str | None = None
    modulepath: str | None = None
    modules: Sequence[str] = ()
    lmod_init: str = DEFAULT_LMOD_INIT


def under_private_tmp(path: str) -> bool:
    """Whether a server would see `path` hidden by its private temporary folders."""
    real = os.path.realpath(path)
    return any(real == folder or real.startswith(folder + "/") for folder, _ in PRIVATE_TMP)


def q(value: str) -> str:
    return shlex.quote(value)


_PRELUDE = """\
set -u
fail() { printf 'notebooks-hub: %s\\n' "$*" >&2; exit 1; }
# Root must not follow a symbolic link the person planted in their home to
# mount over another path: refuse links on the way to every mount point.
no_links() {
  p=$1
  while [ "$p" != / ] && [ -n "$p" ]; do
    [ -L "$p" ] && fail "refusing to mount on $1: $p is a symbolic link"
    p=$(dirname -- "$p")
  done
  return 0
}
"""


def _private_tmp_lines() -> list[str]:
    return [
        f"if [ -d {folder} ]; then mount -t tmpfs -o mode=1777,nosuid,nodev,size={size} nbhub-tmp {folder} "
        f"|| fail {q(f'cannot make {folder} private')}; fi"
        for folder, size in PRIVATE_TMP
    ]


def _owner(plan: WrapperPlan) -> str:
    return f"uid={plan.run_as.uid},gid={plan.run_as.gid}"


def _datasets_lines(plan: WrapperPlan) -> list[str]:
    """A small tmpfs at ~/datasets holds the mount points, so the home keeps
    no per-dataset folders and the person cannot swap them."""
    if not plan.mounts:
        return []
    d = q(plan.datasets_dir)
    lines = [
        f"no_links {d}",
        f"mkdir -p -- {d} || fail {q(f'cannot create {plan.datasets_dir}')}",
        f"no_links {d}",
        f"mount -t tmpfs -o mode=0755,size=1m nbhub-datasets {d} || fail {q(f'cannot mount {plan.datasets_dir}')}",
    ]
    for m in plan.mounts:
        src, tgt = q(m.source), q(m.target)
        lines += [
            f"[ -d {src} ] || fail {q(f'dataset folder {m.source} is missing')}",
            f"mkdir -p -- {tgt}",
            f"mount --bind -- {src} {tgt} || fail {q(f'cannot mount {m.source} at {m.target}')}",
        ]
        if m.read_only:
            # A bind mount inherits the source's flags; read-only needs a remount.
            lines.append(f"mount -o remount,bind,ro -- {tgt} || fail {q(f'cannot make {m.target} read-only')}")
    # People cannot add files next to their datasets (they would be lost).
    lines.append(f"mount -o remount,ro -- {d} || fail {q(f'cannot make {plan.datasets_dir} read-only')}")
    return lines


def _secrets_lines(plan: WrapperPlan) -> list[str]:
    """The secrets folder becomes a tmpfs of the person's (0700): the files the
    person's part writes into it never reach a disk and vanish with the server."""
    if not plan.secrets_dir:
        return []
    s = q(plan.secrets_dir)
    return [
        f"no_links {s}",
        f"mkdir -p -- {s} || fail {q(f'cannot create {plan.secrets_dir}')}",
        f"no_links {s}",
        f"mount -t tmpfs -o mode=0700,size=4m,nosuid,nodev,{_owner(plan)} nbhub-secrets {s} "
        f"|| fail {q(f'cannot mount a tmpfs at {plan.secrets_dir}')}",
    ]


def start_script(plan: WrapperPlan) -> str:
    """Runs as the person, from an empty environment: the payload first
    (variables exported, secret files written), then modules, then the server."""
    fd = plan.payload_fd
    secrets = q(plan.secrets_dir or "/nonexistent")
    lines = [
        "fail() { printf 'notebooks-hub: %s\\n' \"$*\" >&2; exit 1; }",
        # NBHUB_* is reserved: no secret can set the loop's own variables.
        "while IFS= read -r -d '' NBHUB_K && IFS= read -r -d '' NBHUB_N && IFS= read -r -d '' NBHUB_V; do",
        "  case $NBHUB_K in",
        '    env) export "$NBHUB_N=$NBHUB_V" ;;',
        f"    file) (umask 077 && mkdir -p -- \"$(dirname -- {secrets}/\"$NBHUB_N\")\" "
        f"&& printf '%s' \"$NBHUB_V\" > {secrets}/\"$NBHUB_N\") || fail \"cannot write the secret file $NBHUB_N\" ;;",
        "  esac",
        f"done <&{fd}",
        f"exec {fd}<&-",
        "unset NBHUB_K NBHUB_N NBHUB_V",
        f"cd -- {q(plan.home)} || fail {q(f'cannot enter {plan.home}')}",
    ]
    init = q(plan.lmod_init)
    if plan.modules:
        lines.append(f"[ -r {init} ] || fail {q(f'Lmod is not installed ({plan.lmod_init} is missing)')}")
        lines.append(f". {init} || fail {q('cannot initialise Lmod')}")
    else:
        lines.append(f"if [ -r {init} ]; then . {init}; fi")
    if plan.modulepath:
        lines.append(f"export MODULEPATH={q(plan.modulepath)}")
    for name in plan.modules:
        lines.append(f"module load {q(name)} || fail {q(f'module {name} could not be loaded')}")
    lines.append('exec "$@"')
    return "\n".join(lines) + "\n"


def setup_script(plan: WrapperPlan) -> str:
    """Runs as root inside the new mount namespace, with ROOT_ENV only."""
    lines = _PRELUDE.splitlines() + _private_tmp_lines() + _datasets_lines(plan) + _secrets_lines(plan)
    drop = (
        f"setpriv --reuid={plan.run_as.uid} --regid={plan.run_as.gid} --init-groups "
        "--no-new-privs --inh-caps=-all --bounding-set=-all -- /usr/bin/env -i"
    )
    lines.append(f"exec {drop} {' '.join(BASH)} -c {q(start_script(plan))} nbhub-start \"$@\"")
    return "\n".join(lines) + "\n"


def wrap_command(plan: WrapperPlan, cmd: Sequence[str]) -> list[str]:
    """The full argv: unshare, the setup script, then the server command."""
    return [*UNSHARE, *BASH, "-c", setup_script(plan), "nbhub-setup", *cmd]


def payload(env: Mapping[str, str], files: Sequence[FileSecret]) -> bytes:
    """What the person's part reads: NUL-separated (kind, name, value) triples,
    the environment first (PATH among it) so the file writes find their tools."""
    fields: list[str] = []
    for name, value in env.items():
        fields += ["env", name, value]
    for secret in files:
        fields += ["file", secret.path, secret.content]
    if any("\0" in f for f in fields):
        raise ValueError("a launch payload cannot hold NUL characters")
    return b"".join(f.encode("utf-8") + b"\0" for f in fields)


def payload_descriptor(data: bytes) -> int:
    """A memory file holding `data`, positioned at its start, inheritable."""
    fd = os.memfd_create("nbhub-launch", 0)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.lseek(fd, 0, os.SEEK_SET)
        os.set_inheritable(fd, True)
        return fd
    except BaseException:
        os.close(fd)
        raise
