"""The spawner that runs named servers as local processes.

``NotebooksHubLocalSpawner`` (based on JupyterHub's LocalProcessSpawner)
redeems the server's launch ticket at the Notebooks Hub API for its launch
plan (:mod:`.api`, :mod:`.plan`) and acts on nothing else.  Each person's
servers run as their own unprivileged system account (:mod:`.accounts`) in
a home closed to others, inside a private mount namespace that holds the
plan's datasets and secret files (:mod:`.wrapper`), with the plan's memory
and CPU limits in cgroups (:mod:`.cgroups`).  The hub must run as root.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shlex
import shutil
import sysconfig
from subprocess import Popen

from jupyterhub.spawner import LocalProcessSpawner
from jupyterhub.utils import random_port
from traitlets import Dict, Float, Unicode, default

from . import accounts, cgroups
from . import plan as lp
from .api import redeem_launch_ticket
from .errors import SpawnError
from . import wrapper
from .wrapper import DEFAULT_LMOD_INIT, ROOT_ENV, UNSHARE, RunAs, WrapperPlan, payload, payload_descriptor, wrap_command


def server_command(spec) -> list[str] | None:
    """The application's command with its program as an absolute path, or
    None when it is not installed. A bare name is looked up first among the
    scripts of the hub's own Python environment (its venv's ``bin``), then on
    PATH: on a local hub the single-user servers run on the hub's Python, so
    JupyterHub and jupyterhub-singleuser are always of one version, whatever
    PATH the hub was started with."""
    cmd = list(spec.get("cmd") or [""])
    search = os.pathsep.join([sysconfig.get_path("scripts"), os.environ.get("PATH", os.defpath)])
    program = shutil.which(cmd[0], path=search)
    return [program, *cmd[1:]] if program else None


def application_installed(spec) -> bool:
    """The command exists and every required Python package is importable."""
    if server_command(spec) is None:
        return False
    return all(importlib.util.find_spec(name) is not None for name in spec.get("requires", ()))


def _env_default(name: str):
    return default(name)(lambda self: os.environ.get(_ENV_NAMES[name], ""))


_ENV_NAMES = {
    "api_url": "NOTEBOOKS_HUB_API_URL",
    "spawner_token": "NOTEBOOKS_HUB_SPAWNER_TOKEN",
    "homes_root": "HOMES_ROOT",
    "datasets_root": "DATASETS_ROOT",
    "modules_root": "MODULES_ROOT",
}


def _open_to_others(path: str) -> bool:
    return bool(os.stat(path).st_mode & 0o077)


class NotebooksHubLocalSpawner(LocalProcessSpawner):
    """Servers the API decided, as the person's own system account (hub runs as root)."""

    api_url = Unicode(config=True, help="Base URL of the Notebooks Hub API ($NOTEBOOKS_HUB_API_URL).")
    spawner_token = Unicode(config=True, help="Bearer token for the API's spawner routes ($NOTEBOOKS_HUB_SPAWNER_TOKEN).")
    homes_root = Unicode(config=True, help="Folder holding one home per hub user, owned by root ($HOMES_ROOT).")
    datasets_root = Unicode(config=True, help="Folder holding one folder per dataset id ($DATASETS_ROOT).")
    modules_root = Unicode(config=True, help="Folder holding modulefiles/ ($MODULES_ROOT).")
    applications = Dict(config=True, help="applicationType -> {cmd, env, default_url, file_url, requires}.")
    lmod_init = Unicode(DEFAULT_LMOD_INIT, config=True, help="Lmod's bash init script.")
    api_timeout = Float(10.0, config=True, help="Seconds to wait for the API's launch plan.")
    cgroup_root = Unicode(cgroups.CGROUP_ROOT, config=True, help="Where the cgroup hierarchies are mounted.")

    _api_url_default = _env_default("api_url")
    _spawner_token_default = _env_default("spawner_token")
    _homes_root_default = _env_default("homes_root")
    _datasets_root_default = _env_default("datasets_root")
    _modules_root_default = _env_default("modules_root")

    @default("applications")
    def _applications_default(self):
        return dict(lp.DEFAULT_APPLICATIONS)

    _group: cgroups.ServerGroup | None = None

    async def launch_plan(self, limits_enforced: bool) -> lp.LaunchPlan:
        """The plan the API decided for this start; refused without a valid ticket."""
        if self.name == "":
            raise SpawnError("The default (unnamed) server is disabled on this hub: start a server from a Notebooks Hub template instead")
        payload_json = await redeem_launch_ticket(
            self.api_url, self.spawner_token, self.user.name, self.name, self.user_options, limits_enforced, self.api_timeout
        )
        return lp.parse_launch_plan(payload_json, self.user.name, self.name)

    def _check_roots(self, plan: lp.LaunchPlan) -> None:
        """Fail with a sentence the person understands rather than a dead server."""
        if not self.homes_root:
            raise SpawnError("This hub has no HOMES_ROOT configured")
        for setting, root in (("HOMES_ROOT", self.homes_root), ("DATASETS_ROOT", self.datasets_root), ("MODULES_ROOT", self.modules_root)):
            if root and wrapper.under_private_tmp(root):
                raise SpawnError(f"{setting} is inside a temporary folder every server gets a private copy of: move it elsewhere")
        if plan.datasets and not self.datasets_root:
            raise SpawnError("This hub has no DATASETS_ROOT configured: it cannot mount datasets")
        if self.datasets_root and _open_to_others(self.datasets_root):
            # Every person would reach every dataset by its path, mounted or not.
            raise SpawnError("DATASETS_ROOT must be closed to everyone but its owner (mode 0700): servers see datasets only where they are mounted")
        for dataset in plan.datasets:
            if not os.path.isdir(os.path.join(self.datasets_root, dataset.source)):
                raise SpawnError(f"The dataset '{dataset.name}' ({dataset.id}) is not available on this hub")
        if plan.modules and not self.modules_root:
            raise SpawnError("This hub has no MODULES_ROOT configured: it cannot load modules")
        for module in plan.modules:
            if not os.path.isfile(lp.modulefile(self.modules_root, module)):
                raise SpawnError(f"The module {module.load_name} is not installed on this hub")

    async def _check_unshare(self) -> None:
        """Without a private mount namespace nothing can be mounted or kept
        private: refuse rather than start a server without it."""
        if not shutil.which(UNSHARE[0]):
            raise SpawnError("Cannot start: 'unshare' (util-linux) is not installed on this hub")
        proc = await asyncio.create_subprocess_exec(
            *UNSHARE, "true", env=ROOT_ENV, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        _, err = await proc.communicate()
        if proc.returncode != 0:
            reason = err.decode(errors="replace").strip().splitlines()[-1:] or ["unknown error"]
            raise SpawnError(f"Cannot start: this hub may not create a private mount namespace ({reason[0]}); the hub must run as root")

    def user_env(self, env):
        """The person's account, not a system user named like the hub user."""
        return env

    def make_preexec_fn(self, name):
        """The wrapper starts as root (mounts need it) and drops to the person
        itself; before exec the process only joins its cgroups."""
        group = self._group
        return group.join if group else None

    async def start(self):
        hierarchies = cgroups.detect(self.cgroup_root)
        plan = await self.launch_plan(limits_enforced=bool(hierarchies))
        app = lp.resolve_application(plan, self.applications, application_installed)
        self._check_roots(plan)
        await self._check_unshare()
        home_path = os.path.join(self.homes_root, accounts.home_entry(self.user.name))
        account = accounts.ensure_account(self.user.name, home_path)
        home = accounts.prepare_home(self.homes_root, self.user.name, account)
        self._group = None
        if plan.hardware.limited:
            if hierarchies:
                self._group = cgroups.create(hierarchies, cgroups.group_name(self.user.name, self.name), plan.hardware)
            else:
                self.log.warning("No writable cgroup hierarchy: the limits of %s are not enforced", self._log_name)
        self.mem_limit = plan.hardware.memory
        self.cpu_limit = plan.hardware.cpu
        if self.port == 0:
            self.port = random_port()
        self.default_url = app.default_url or ""

        env = self.get_env()
        env.update(app.env)
        env.update({"HOME": home, "USER": account.name, "LOGNAME": account.name, "SHELL": "/bin/bash"})
        env.update(lp.secret_environment(plan))
        fd = payload_descriptor(payload(env, plan.file_secrets))
        try:
            wrapper = WrapperPlan(
                home=home,
                datasets_dir=lp.datasets_folder(home),
                run_as=RunAs(account.uid, account.gid),
                payload_fd=fd,
                mounts=lp.dataset_mounts(plan, self.datasets_root, home),
                secrets_dir=lp.secrets_folder(home) if plan.file_secrets else None,
                modulepath=lp.modulepath(self.modules_root) if self.modules_root else None,
                modules=lp.module_loads(plan),
                lmod_init=self.lmod_init,
            )
            cmd = wrap_command(wrapper, [*server_command(app.spec), *self.get_args()])
            # The argv holds no secret: logging it is safe and useful.
            self.log.info("Spawning %s", " ".join(shlex.quote(c) for c in cmd))
            self.proc = Popen(
                cmd,
                env=dict(ROOT_ENV),
                pass_fds=(fd,),
                preexec_fn=self.make_preexec_fn(self.user.name),
                start_new_session=True,
            )
        finally:
            os.close(fd)
            del env
        self.pid = self.proc.pid
        return (self.ip or "127.0.0.1", self.port)

    async def stop(self, now=False):
        await super().stop(now=now)
        group = self._group or self._known_group()
        if group:
            group.remove()

    def _known_group(self) -> cgroups.ServerGroup | None:
        """After a hub restart the groups are found again by name."""
        name = cgroups.group_name(self.user.name, self.name)
        folders = tuple(
            f for f in (os.path.join(h.path, cgroups.PARENT, name) for h in cgroups.detect(self.cgroup_root)) if os.path.isdir(f)
        )
        return cgroups.ServerGroup(folders) if folders else None
