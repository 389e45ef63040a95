"""Memory and CPU limits of a local server, enforced with cgroups.

Whichever the machine has writable is used: cgroup v2 (a unified hierarchy
whose root offers the ``memory`` and ``cpu`` controllers) or cgroup v1 (the
``memory`` and ``cpu`` hierarchies).  Each server gets one group per
hierarchy, named from a hash of its hub user and server name (never from the
names themselves), which the server's first process joins before it runs
anything (:meth:`ServerGroup.join`, from the child before exec).  Where
neither is writable, :func:`detect` says so and the API is told the limits
are not enforced: never silently.
"""

from __future__ import annotations

import errno
import hashlib
import os
from dataclasses import dataclass

from .plan import Hardware

CGROUP_ROOT = "/sys/fs/cgroup"
PARENT = "notebooks-hub"
CPU_PERIOD_US = 100_000


@dataclass(frozen=True)
class Hierarchy:
    version: int
    path: str  # the folder under which server groups are made


def _writable(path: str) -> bool:
    return os.path.isdir(path) and os.access(path, os.W_OK)


def _v2_root(root: str) -> str | None:
    for candidate in (root, os.path.join(root, "unified")):
        try:
            with open(os.path.join(candidate, "cgroup.controllers")) as handle:
                controllers = handle.read().split()
        except OSError:
            continue
        if {"memory", "cpu"} <= set(controllers) and _writable(candidate):
            return candidate
    return None


def detect(root: str = CGROUP_ROOT) -> list[Hierarchy]:
    """The hierarchies limits can be set in; empty when none is writable."""
    v2 = _v2_root(root)
    if v2:
        return [Hierarchy(2, v2)]
    v1 = [Hierarchy(1, os.path.join(root, name)) for name in ("memory", "cpu")]
    return v1 if all(_writable(h.path) for h in v1) else []


def group_name(hub_user: str, server_name: str) -> str:
    digest = hashlib.sha256(f"{hub_user}\0{server_name}".encode()).hexdigest()[:24]
    return f"server-{digest}"


def _write(path: str, value: str) -> None:
    with open(path, "w") as handle:
        handle.write(value)


@dataclass(frozen=True)
class ServerGroup:
    """One server's groups, one per hierarchy."""
    folders: tuple[str, ...]

    def join(self) -> None:
        """Move the calling process into the groups (its children follow).
        Runs in the child between fork and exec: plain writes only."""
        pid = str(os.getpid())
        for folder in self.folders:
            _write(os.path.join(folder, "cgroup.procs"), pid)

    def remove(self) -> None:
        for folder in self.folders:
            try:
                os.rmdir(folder)
            except OSError as exc:
                if exc.errno not in (errno.ENOENT, errno.EBUSY):
                    raise


def create(hierarchies: list[Hierarchy], name: str, hardware: Hardware) -> ServerGroup:
    """The groups of one server with the hardware's limits written in."""
    folders = []
    for hierarchy in hierarchies:
        parent = os.path.join(hierarchy.path, PARENT)
        os.makedirs(parent, mode=0o755, exist_ok=True)
        if hierarchy.version == 2:
            _write(os.path.join(hierarchy.path, "cgroup.subtree_control"), "+memory +cpu")
            _write(os.path.join(parent, "cgroup.subtree_control"), "+memory +cpu")
        folder = os.path.join(parent, name)
        os.makedirs(folder, mode=0o755, exist_ok=True)
        _limit(hierarchy, folder, hardware)
        folders.append(folder)
    return ServerGroup(tuple(folders))


def _limit(hierarchy: Hierarchy, folder: str, hardware: Hardware) -> None:
    quota = int(hardware.cpu * CPU_PERIOD_US) if hardware.cpu else None
    if hierarchy.version == 2:
        if hardware.memory:
            _write(os.path.join(folder, "memory.max"), str(hardware.memory))
            if os.path.exists(os.path.join(folder, "memory.swap.max")):
                _write(os.path.join(folder, "memory.swap.max"), "0")
        _write(os.path.join(folder, "cpu.max"), f"{quota} {CPU_PERIOD_US}" if quota else f"max {CPU_PERIOD_US}")
        return
    if hierarchy.path.endswith("memory") and hardware.memory:
        _write(os.path.join(folder, "memory.limit_in_bytes"), str(hardware.memory))
        swap = os.path.join(folder, "memory.memsw.limit_in_bytes")
        if os.path.exists(swap):
            _write(swap, str(hardware.memory))
    if hierarchy.path.endswith("cpu"):
        _write(os.path.join(folder, "cpu.cfs_period_us"), str(CPU_PERIOD_US))
        _write(os.path.join(folder, "cpu.cfs_quota_us"), str(quota) if quota else "-1")
