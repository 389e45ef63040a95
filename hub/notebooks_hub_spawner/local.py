"""Spawners that run named servers as local processes.

``NotebooksHubLocalSpawner`` (based on JupyterHub's LocalProcessSpawner)
runs each server as the system user of the same name; the hub must run as
root.  ``NotebooksHubSimpleLocalSpawner`` (based on
SimpleLocalProcessSpawner) keeps the hub's own user and a templated home
folder, for single-user machines and tests.

Both translate user_options with :mod:`.options`, fetch secret values with
:mod:`.api` and start the server through the mount-namespace wrapper of
:mod:`.wrapper`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import pwd
import shlex
import shutil
from dataclasses import dataclass, field
from subprocess import Popen

from jupyterhub.spawner import LocalProcessSpawner, SimpleLocalProcessSpawner
from traitlets.config import LoggingConfigurable
from jupyterhub.utils import random_port
from traitlets import Dict, Float, Unicode, default

from . import options as opt
from .api import fetch_secret_values
from .errors import OptionsError, SpawnError
from .wrapper import (
    DEFAULT_LMOD_INIT, RAW_SECRET_ENV_PREFIX, UNSHARE, RunAs, SecretSlot,
    WrapperPlan, wrap_command,
)


@dataclass
class Launch:
    """Everything one start needs.  Lives only for the duration of start()."""
    app: opt.Application
    plan: WrapperPlan
    env: dict = field(repr=False, default_factory=dict)  # secret values


def application_installed(spec) -> bool:
    """The command is on PATH and every required Python package importable.
    (The hub and the single-user servers share one Python on a local hub.)"""
    cmd = spec.get("cmd") or [""]
    if not shutil.which(cmd[0]):
        return False
    return all(importlib.util.find_spec(name) is not None for name in spec.get("requires", ()))


class NotebooksHubSpawnerMixin(LoggingConfigurable):
    """Configuration and start logic shared by both local spawners."""

    api_url = Unicode(config=True, help="Base URL of the Notebooks Hub API ($NOTEBOOKS_HUB_API_URL).")
    spawner_token = Unicode(config=True, help="Bearer token for the API's spawner routes ($NOTEBOOKS_HUB_SPAWNER_TOKEN).")
    datasets_root = Unicode(config=True, help="Folder holding one folder per dataset id ($DATASETS_ROOT).")
    modules_root = Unicode(config=True, help="Folder holding modulefiles/ ($MODULES_ROOT).")
    hardware_file = Unicode(config=True, help="JSON list of hardware sizes ($HARDWARE_FILE).")
    applications = Dict(config=True, help="applicationType -> {cmd, env, default_url, file_url, requires}.")
    lmod_init = Unicode(DEFAULT_LMOD_INIT, config=True, help="Lmod's bash init script.")
    secrets_timeout = Float(10.0, config=True, help="Seconds to wait for the API's secret values.")

    @default("api_url")
    def _api_url_default(self):
        return os.environ.get("NOTEBOOKS_HUB_API_URL", "")

    @default("spawner_token")
    def _spawner_token_default(self):
        return os.environ.get("NOTEBOOKS_HUB_SPAWNER_TOKEN", "")

    @default("datasets_root")
    def _datasets_root_default(self):
        return os.environ.get("DATASETS_ROOT", "")

    @default("modules_root")
    def _modules_root_default(self):
        return os.environ.get("MODULES_ROOT", "")

    @default("hardware_file")
    def _hardware_file_default(self):
        return os.environ.get("HARDWARE_FILE", "")

    @default("applications")
    def _applications_default(self):
        return dict(opt.DEFAULT_APPLICATIONS)

    _launch: Launch | None = None

    # -- what differs between the two variants -------------------------------

    def server_home(self) -> str:
        return pwd.getpwnam(self.user.name).pw_dir

    def run_as(self) -> RunAs | None:
        entry = pwd.getpwnam(self.user.name)
        return RunAs(entry.pw_uid, entry.pw_gid)

    # -- validation ---------------------------------------------------------

    def _refuse_default_server(self) -> None:
        if self.name == "":
            raise SpawnError(
                "The default (unnamed) server is disabled on this hub: "
                "start a named server from a Notebooks Hub template instead"
            )

    def check_options(self) -> tuple[opt.Options, opt.Application, opt.Hardware]:
        """Everything that can be decided from user_options and configuration."""
        self._refuse_default_server()
        options = opt.parse_user_options(self.user_options)
        app = opt.resolve_application(options, self.applications, application_installed)
        hardware = opt.hardware_limits(options, opt.load_hardware(self.hardware_file))
        self._check_roots(options)
        return options, app, hardware

    def _check_roots(self, options: opt.Options) -> None:
        """Fail with a sentence the user understands rather than a dead server."""
        if options.datasets and not self.datasets_root:
            raise SpawnError("This hub has no DATASETS_ROOT configured: it cannot mount datasets")
        for dataset in options.datasets:
            if not os.path.isdir(os.path.join(self.datasets_root, dataset.id)):
                raise SpawnError(f"The dataset '{dataset.name}' ({dataset.id}) is not available on this hub")
        if options.modules and not self.modules_root:
            raise SpawnError("This hub has no MODULES_ROOT configured: it cannot load modules")
        for module in options.modules:
            if not os.path.isfile(opt.modulefile(self.modules_root, module)):
                raise SpawnError(f"The module {module.load_name} is not installed on this hub")

    def run_pre_spawn_hook(self):
        """Refuse early (before any process or request) what cannot start."""
        self.check_options()
        return super().run_pre_spawn_hook()

    # -- secrets --------------------------------------------------------------

    async def secret_values(self, options: opt.Options) -> dict:
        if not options.secrets:
            return {}
        payload = await fetch_secret_values(
            self.api_url, self.spawner_token, self.user.name, self.name, self.secrets_timeout
        )
        values, missing = opt.parse_secret_values(options, payload)
        for secret in missing:
            self.log.warning("Secret '%s' was not given by the API for %s; starting without it",
                             secret.name, self._log_name)
        return values

    # -- the launch -------------------------------------------------------------

    async def prepare_launch(self) -> Launch:
        options, app, hardware = self.check_options()
        await self._check_unshare()
        values = await self.secret_values(options)
        home = self.server_home()
        files = opt.secret_files(options, values, home)
        env = opt.secret_environment(options, values)
        slots = []
        for index, secret_file in enumerate(files):
            self._check_secret_path(secret_file.path, home)
            slots.append(SecretSlot(secret_file.path, f"{RAW_SECRET_ENV_PREFIX}{index}"))
            env[slots[-1].env_name] = secret_file.content
        self._apply_hardware(hardware)
        plan = WrapperPlan(
            home=home,
            datasets_dir=opt.datasets_folder(home),
            mounts=opt.dataset_mounts(options, self.datasets_root, home),
            secret_slots=slots,
            modulepath=opt.modulepath(self.modules_root) if self.modules_root else None,
            modules=opt.module_loads(options),
            lmod_init=self.lmod_init,
            run_as=self.run_as(),
        )
        return Launch(app, plan, env)

    @staticmethod
    def _check_secret_path(path: str, home: str) -> None:
        """Locally a secret folder becomes a tmpfs hiding what was there: keep
        it strictly below the home folder, and out of ~/datasets."""
        folder = os.path.dirname(path)
        inside_home = folder.startswith(home.rstrip("/") + "/")
        in_datasets = (folder + "/").startswith(opt.datasets_folder(home) + "/")
        if not inside_home or in_datasets:
            raise OptionsError(f"The secret file {path} must be in a folder inside {home} (not {home} itself, not ~/datasets)")

    def _apply_hardware(self, hardware: opt.Hardware) -> None:
        """JupyterHub exports these as MEM_LIMIT/CPU_LIMIT to the server.
        LocalProcessSpawner does not enforce them; they inform the user and
        resource-usage extensions."""
        self.mem_limit = hardware.memory
        self.cpu_limit = hardware.cpu

    async def _check_unshare(self) -> None:
        """Without a private mount namespace datasets cannot be mounted:
        refuse rather than start a server that silently lacks them."""
        if not shutil.which(UNSHARE[0]):
            raise SpawnError("Cannot start: 'unshare' (util-linux) is not installed on this hub, so datasets cannot be mounted")
        proc = await asyncio.create_subprocess_exec(
            *UNSHARE, "true", stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        _, err = await proc.communicate()
        if proc.returncode != 0:
            reason = err.decode(errors="replace").strip().splitlines()[-1:] or ["unknown error"]
            raise SpawnError(f"Cannot start: this hub may not create a private mount namespace ({reason[0]}); the hub must run as root to mount datasets")

    def get_env(self):
        env = super().get_env()
        if self._launch is not None:
            env.update(self._launch.app.env)
            env.update(self._launch.env)  # secret values: environment only
        return env

    def make_preexec_fn(self, name):
        """The wrapper must start as root (mounts need it) and drops to the
        user itself with setpriv, so no setuid before exec here."""
        return None

    async def start(self):
        """LocalProcessSpawner.start, with the command wrapped."""
        launch = await self.prepare_launch()
        if self.port == 0:
            self.port = random_port()
        self.default_url = launch.app.default_url or ""
        self._launch = launch
        try:
            env = self.get_env()
        finally:
            self._launch = None  # drop our reference to secret values
        cmd = wrap_command(launch.plan, [*launch.app.cmd, *self.get_args()])
        # The argv holds no secret: logging it is safe and useful.
        self.log.info("Spawning %s", " ".join(shlex.quote(c) for c in cmd))
        popen_kwargs = dict(preexec_fn=self.make_preexec_fn(self.user.name), start_new_session=True)
        popen_kwargs.update(self.popen_kwargs)
        popen_kwargs["env"] = env
        self.proc = Popen(cmd, **popen_kwargs)
        self.pid = self.proc.pid
        return (self.ip or "127.0.0.1", self.port)


class NotebooksHubLocalSpawner(NotebooksHubSpawnerMixin, LocalProcessSpawner):
    """Servers run as the system user named like the hub user (hub runs as root)."""


class NotebooksHubSimpleLocalSpawner(NotebooksHubSpawnerMixin, SimpleLocalProcessSpawner):
    """Servers run as the hub's own user with home ``home_dir_template``.

    Like SimpleLocalProcessSpawner it gives no isolation between users; use
    it for single-user machines, demos and tests.  Mounting still needs the
    hub to be root (or to hold CAP_SYS_ADMIN).
    """

    def server_home(self) -> str:
        return self.home_dir

    def run_as(self) -> RunAs | None:
        return None  # no user switch, as in SimpleLocalProcessSpawner

    def make_preexec_fn(self, name):
        # SimpleLocalProcessSpawner's preexec creates and enters the home folder.
        return SimpleLocalProcessSpawner.make_preexec_fn(self, name)
