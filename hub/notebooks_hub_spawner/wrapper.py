"""The command line that starts a local server inside its own mount namespace.

The generated argv is::

    unshare --mount --propagation private -- /bin/bash -c <SETUP> nbhub-setup <server cmd...>

``SETUP`` runs as root inside the new namespace: it mounts the datasets and
the secret folders, then drops to the user (``setpriv``) and runs ``START``,
which loads the Lmod modules and ``exec``s the server command (``"$@"``).

Why this shape:

* Mounts made in a private mount namespace are invisible to the host and to
  other users, and vanish when the last process in it exits: nothing is
  left mounted after the server stops.
* Modulefiles are Lua written by users: they are evaluated only after the
  privileges are dropped, never as root.
* The scripts are passed on the command line, which any user can read in
  /proc, so they contain paths and names only.  Secret values travel in the
  environment (``/proc/<pid>/environ`` is readable by the process owner and
  root only): env_var secrets stay there for the server, raw secret contents
  sit in ``NBHUB_RAW_SECRET_<n>`` just long enough for the root part to
  write them into a tmpfs, and are unset before the user's code runs.
"""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass, field
from typing import Sequence

from .options import Mount

RAW_SECRET_ENV_PREFIX = "NBHUB_RAW_SECRET_"
DEFAULT_LMOD_INIT = "/usr/share/lmod/lmod/init/bash"
UNSHARE = ("unshare", "--mount", "--propagation", "private", "--")


@dataclass(frozen=True)
class SecretSlot:
    """Where a raw secret goes, and which variable carries its content."""
    path: str
    env_name: str


@dataclass(frozen=True)
class RunAs:
    uid: int
    gid: int


@dataclass(frozen=True)
class WrapperPlan:
    home: str
    datasets_dir: str
    mounts: Sequence[Mount] = ()
    secret_slots: Sequence[SecretSlot] = ()
    modulepath: str | None = None
    modules: Sequence[str] = ()
    lmod_init: str = DEFAULT_LMOD_INIT
    run_as: RunAs | None = None  # None: keep the current user (hub runs as that user)
    bash: str = "/bin/bash"
    extra: dict = field(default_factory=dict)


def q(value: str) -> str:
    return shlex.quote(value)


def _msg(text: str) -> str:
    """A quoted argument for ``fail``: messages embed user-chosen names."""
    return shlex.quote(text)


_PRELUDE = """\
set -u
fail() { printf 'notebooks-hub: %s\\n' "$*" >&2; exit 1; }
# Root must not follow a symbolic link the user planted in their home to
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


def _owner_opts(run_as: RunAs | None) -> str:
    return f",uid={run_as.uid},gid={run_as.gid}" if run_as else ""


def _datasets_lines(plan: WrapperPlan) -> list[str]:
    """A small tmpfs at ~/datasets holds the mount points, so the host's home
    folder keeps no per-dataset folders and the user cannot swap them."""
    if not plan.mounts:
        return []
    d = q(plan.datasets_dir)
    lines = [
        f"no_links {d}",
        f"mkdir -p -- {d} || fail {_msg(f'cannot create {plan.datasets_dir}')}",
        f"no_links {d}",
        f"mount -t tmpfs -o mode=0755,size=1m nbhub-datasets {d} || fail {_msg(f'cannot mount {plan.datasets_dir}')}",
    ]
    for m in plan.mounts:
        src, tgt = q(m.source), q(m.target)
        lines += [
            f"[ -d {src} ] || fail {_msg(f'dataset folder {m.source} is missing')}",
            f"mkdir -p -- {tgt}",
            f"mount --bind -- {src} {tgt} || fail {_msg(f'cannot mount {m.source} at {m.target}')}",
        ]
        if m.read_only:
            # A bind mount inherits the source's flags; read-only needs a remount.
            lines.append(f"mount -o remount,bind,ro -- {tgt} || fail {_msg(f'cannot make {m.target} read-only')}")
    # Users cannot add files next to their datasets (they would be lost).
    lines.append(f"mount -o remount,ro -- {d} || fail {_msg(f'cannot make {plan.datasets_dir} read-only')}")
    return lines


def _secret_lines(plan: WrapperPlan) -> list[str]:
    """Each secret folder becomes a tmpfs owned by the user (mode 0700); the
    files are written 0600 from the environment with the printf builtin (no
    new process, so the value is never in an argv) and the variable is unset."""
    lines: list[str] = []
    folders = list(dict.fromkeys(posixpath.dirname(s.path) for s in plan.secret_slots))
    for folder in folders:
        f = q(folder)
        lines += [
            f"no_links {f}",
            f"mkdir -p -- {f} || fail {_msg(f'cannot create {folder}')}",
            f"no_links {f}",
            f"mount -t tmpfs -o mode=0700,size=4m{_owner_opts(plan.run_as)} nbhub-secrets {f} || fail {_msg(f'cannot mount a tmpfs at {folder}')}",
        ]
    for slot in plan.secret_slots:
        p = q(slot.path)
        lines.append(f"(umask 077; printf '%s' \"${{{slot.env_name}}}\" > {p}) || fail {_msg(f'cannot write {slot.path}')}")
        if plan.run_as:
            lines.append(f"chown {plan.run_as.uid}:{plan.run_as.gid} -- {p}")
        lines += [f"chmod 0600 -- {p}", f"unset {slot.env_name}"]
    return lines


def start_script(plan: WrapperPlan) -> str:
    """Runs as the user: cd home, load modules (loudly), exec the server."""
    lines = [
        "fail() { printf 'notebooks-hub: %s\\n' \"$*\" >&2; exit 1; }",
        f"cd -- {q(plan.home)} || fail {_msg(f'cannot enter {plan.home}')}",
    ]
    init = q(plan.lmod_init)
    if plan.modules:
        lines.append(f"[ -r {init} ] || fail {_msg(f'Lmod is not installed ({plan.lmod_init} is missing)')}")
        lines.append(f". {init} || fail {_msg('cannot initialise Lmod')}")
    else:
        lines.append(f"if [ -r {init} ]; then . {init}; fi")
    if plan.modulepath:
        lines.append(f"export MODULEPATH={q(plan.modulepath)}")
    for name in plan.modules:
        lines.append(f"module load {q(name)} || fail {_msg(f'module {name} could not be loaded')}")
    lines.append('exec "$@"')
    return "\n".join(lines) + "\n"


def setup_script(plan: WrapperPlan) -> str:
    """Runs as root inside the new mount namespace."""
    lines = _PRELUDE.splitlines() + _datasets_lines(plan) + _secret_lines(plan)
    start = q(start_script(plan))
    if plan.run_as:
        drop = f"setpriv --reuid={plan.run_as.uid} --regid={plan.run_as.gid} --init-groups -- "
    else:
        drop = ""
    lines.append(f"exec {drop}{q(plan.bash)} -c {start} nbhub-start \"$@\"")
    return "\n".join(lines) + "\n"


def wrap_command(plan: WrapperPlan, cmd: Sequence[str]) -> list[str]:
    """The full argv: unshare, the setup script, then the server command."""
    return [*UNSHARE, plan.bash, "-c", setup_script(plan), "nbhub-setup", *cmd]
