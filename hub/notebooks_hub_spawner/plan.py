"""The launch plan: what the Notebooks Hub API decided one start gets.

A server's ``user_options`` carry only a launch ticket.  The spawner
redeems it at the API (:mod:`.api`) and gets the plan, whose shape is the
contract file ``launch_plan.schema.json`` beside this module (the API's
tests check its answers against the same file).  :func:`parse_launch_plan`
validates a plan against that schema and against what a schema cannot say
(the ticket's binding, duplicates), and turns it into frozen dataclasses.
Both spawners (local processes and KubeSpawner) act on nothing else.

Every rejection raises :class:`OptionsError` with a sentence naming the
offending entry, never a secret value.
"""

from __future__ import annotations

import json
import math
import os
import posixpath
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Mapping
from urllib.parse import quote

from .errors import OptionsError

SCHEMA_FILE = os.path.join(os.path.dirname(__file__), "launch_plan.schema.json")

#: The person's secrets folder, relative to the home folder: raw secrets are
#: files below it, nowhere else.
SECRETS_DIR = ".secrets"
MAX_FOLDER_BYTES = 255  # NAME_MAX on Linux file systems
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# --------------------------------------------------------------------------
# Data shapes
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Hardware:
    name: str | None
    cpu: float | None = None      # cores
    memory: int | None = None     # bytes
    gpu: int | None = None

    @property
    def limited(self) -> bool:
        return self.cpu is not None or self.memory is not None


NO_HARDWARE = Hardware(None)


@dataclass(frozen=True)
class Dataset:
    id: str
    name: str          # as its owner named it
    folder: str        # safe, unique folder name under ~/datasets
    source: str        # folder under the datasets root
    writable: bool


@dataclass(frozen=True)
class Module:
    id: str
    owner: str
    name: str
    version: str

    @property
    def load_name(self) -> str:
        """What ``module load`` takes: the path under MODULEPATH without ``.lua``."""
        return f"{self.owner}/{self.name}/{self.version}"


@dataclass(frozen=True)
class EnvSecret:
    id: str
    name: str
    variables: Mapping[str, str] = field(repr=False)


@dataclass(frozen=True)
class FileSecret:
    id: str
    name: str
    path: str          # relative to the secrets folder
    content: str = field(repr=False)


@dataclass(frozen=True)
class LaunchPlan:
    hub_user: str
    server_name: str
    owner: str
    application: str
    file_path: str | None
    hardware: Hardware
    datasets: tuple[Dataset, ...] = ()
    modules: tuple[Module, ...] = ()
    env_secrets: tuple[EnvSecret, ...] = ()
    file_secrets: tuple[FileSecret, ...] = ()


@dataclass(frozen=True)
class Mount:
    source: str
    target: str
    read_only: bool


@dataclass(frozen=True)
class Application:
    name: str
    cmd: tuple[str, ...]
    env: Mapping[str, str]
    default_url: str | None
    spec: Mapping[str, Any] = field(repr=False, default_factory=dict)


# --------------------------------------------------------------------------
# The applications a hub offers
# --------------------------------------------------------------------------

#: applicationType -> how to run it.  ``cmd`` is the server command,
#: ``env`` is added to its environment, ``default_url`` is where the user
#: lands and ``file_url`` (with ``{file_path}``) where filePath opens.
#: ``requires`` lists Python packages that must be importable on the hub
#: host for the local spawner to consider the application installed.
#: JupyterLab 4 and Notebook 7 are both extensions of one Jupyter Server,
#: which ``jupyterhub-singleuser`` runs: the application is the page a
#: person lands on.
DEFAULT_APPLICATIONS: dict[str, dict[str, Any]] = {
    "jupyterlab": {
        "cmd": ["jupyterhub-singleuser"],
        "default_url": "/lab",
        "file_url": "/lab/tree/{file_path}",
        "requires": ["jupyterlab"],
    },
    "notebook": {
        "cmd": ["jupyterhub-singleuser"],
        "default_url": "/tree",
        "file_url": "/notebooks/{file_path}",
        "requires": ["notebook"],
    },
}


def resolve_application(
    plan: LaunchPlan,
    applications: Mapping[str, Mapping[str, Any]],
    is_installed: Callable[[Mapping[str, Any]], bool] = lambda spec: True,
) -> Application:
    """How to run ``plan.application`` (matched case-insensitively: templates
    say "JupyterLab" where configuration says "jupyterlab")."""
    name = plan.application
    by_lower = {str(key).lower(): value for key, value in applications.items()}
    spec = applications.get(name, by_lower.get(name.lower()))
    if spec is None or not is_installed(spec):
        available = ", ".join(sorted(applications)) or "none"
        raise OptionsError(f"The application '{name}' is not installed on this hub (installed: {available})")
    cmd = spec.get("cmd")
    if not cmd or not all(isinstance(c, str) and c for c in cmd):
        raise OptionsError(f"The application '{name}' has no valid 'cmd' in the hub's configuration")
    env = {str(k): str(v) for k, v in (spec.get("env") or {}).items()}
    if plan.file_path and spec.get("file_url"):
        default_url = spec["file_url"].format(file_path=quote(plan.file_path))
    else:
        default_url = spec.get("default_url")
    return Application(name, tuple(cmd), env, default_url, spec)


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------


@lru_cache(maxsize=1)
def schema() -> dict:
    with open(SCHEMA_FILE, encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=1)
def _validator():
    from jsonschema import Draft7Validator

    return Draft7Validator(schema())


def _where(error) -> str:
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return f"plan{path}" if path else "plan"


def validate_against_schema(payload: Any) -> None:
    """Raise OptionsError naming the first place the payload breaks the contract.
    The message names the field and rule, never the value (it may be secret)."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(payload))
    if error is not None:
        raise OptionsError(f"The API's launch plan breaks its contract at {_where(error)} ({error.validator} rule)")


def parse_launch_plan(payload: Any, hub_user: str, server_name: str) -> LaunchPlan:
    """The plan the API answered for this server, validated."""
    validate_against_schema(payload)
    if payload["hubUser"] != hub_user or payload["serverName"] != server_name:
        raise OptionsError("The API's launch plan is for another server")
    datasets = _datasets(payload["datasets"])
    modules = _modules(payload["modules"])
    env_secrets, file_secrets = _secrets(payload["secrets"])
    return LaunchPlan(
        hub_user=hub_user,
        server_name=server_name,
        owner=payload["owner"],
        application=payload["application"],
        file_path=payload.get("filePath"),
        hardware=_hardware(payload["hardware"]),
        datasets=datasets,
        modules=modules,
        env_secrets=env_secrets,
        file_secrets=file_secrets,
    )


def _hardware(entry: Any) -> Hardware:
    if entry is None:
        return NO_HARDWARE
    cpu = entry.get("cpu")
    if cpu is not None and not math.isfinite(cpu):
        raise OptionsError("plan.hardware: 'cpu' must be a finite number")
    return Hardware(entry["name"], float(cpu) if cpu is not None else None, entry.get("memory"), entry.get("gpu") or None)


def safe_folder_name(name: str) -> str:
    """A dataset name as a single folder name: no '/', no control characters,
    not '.' or '..', at most 255 bytes."""
    if _CONTROL.search(name):
        raise OptionsError(f"dataset name {name!r} contains control characters")
    folder = name.strip().replace("/", "_")
    if folder.strip(".") == "":
        raise OptionsError(f"dataset name {name!r} cannot be used as a folder name")
    encoded = folder.encode("utf-8")
    if len(encoded) > MAX_FOLDER_BYTES:
        folder = encoded[:MAX_FOLDER_BYTES].decode("utf-8", "ignore")
    return folder


def _datasets(entries: list) -> tuple[Dataset, ...]:
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if entry["id"] in seen:
            raise OptionsError(f"plan.datasets[{index}]: dataset {entry['id']} is listed twice")
        seen.add(entry["id"])
    folders = _unique_folders([(e["id"], safe_folder_name(e["name"])) for e in entries])
    return tuple(Dataset(e["id"], e["name"], folders[e["id"]], e["source"], e["access"] == "write") for e in entries)


def _unique_folders(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Map dataset id -> folder, suffixing every colliding name with the first
    8 characters of its id, so a dataset's folder does not depend on the
    order the template lists them in."""
    counts: dict[str, int] = {}
    for _, folder in pairs:
        counts[folder] = counts.get(folder, 0) + 1
    result = {i: (f if counts[f] == 1 else f"{f}-{i[:8]}") for i, f in pairs}
    if len(set(result.values())) != len(result):
        raise OptionsError("plan.datasets: two datasets resolve to the same folder name")
    return result


def _modules(entries: list) -> tuple[Module, ...]:
    modules = tuple(Module(e["id"], e["owner"], e["name"], e["version"]) for e in entries)
    seen: set[str] = set()
    for index, module in enumerate(modules):
        if ".." in module.owner or module.owner.startswith("."):
            raise OptionsError(f"plan.modules[{index}]: 'owner' is not a usable folder name")
        if module.load_name in seen:
            raise OptionsError(f"plan.modules[{index}]: module {module.load_name} is listed twice")
        seen.add(module.load_name)
    return modules


def _secrets(entries: list) -> tuple[tuple[EnvSecret, ...], tuple[FileSecret, ...]]:
    env: list[EnvSecret] = []
    files: list[FileSecret] = []
    names: dict[str, str] = {}
    paths: dict[str, str] = {}
    for entry in entries:
        if entry["type"] == "env_var":
            for variable in entry["variables"]:
                if variable in names:
                    raise OptionsError(f"secrets '{names[variable]}' and '{entry['secretName']}' both set {variable}")
                names[variable] = entry["secretName"]
            env.append(EnvSecret(entry["id"], entry["secretName"], dict(entry["variables"])))
        else:
            path = entry["path"]
            clash = next((p for p in paths if p == path or p.startswith(path + "/") or path.startswith(p + "/")), None)
            if clash is not None:
                raise OptionsError(f"secret '{entry['secretName']}': its file {path} clashes with secret '{paths[clash]}' at {clash}")
            paths[path] = entry["secretName"]
            files.append(FileSecret(entry["id"], entry["secretName"], path, entry["content"]))
    return tuple(env), tuple(files)


# --------------------------------------------------------------------------
# What the plan means inside a server
# --------------------------------------------------------------------------


def datasets_folder(home: str) -> str:
    return posixpath.join(home, "datasets")


def secrets_folder(home: str) -> str:
    return posixpath.join(home, SECRETS_DIR)


def dataset_mounts(plan: LaunchPlan, datasets_root: str, home: str) -> list[Mount]:
    """Each dataset's folder under the datasets root appears at
    ``{home}/datasets/{folder}``, read-only unless the plan says write."""
    target_dir = datasets_folder(home)
    return [
        Mount(posixpath.join(datasets_root, d.source), posixpath.join(target_dir, d.folder), not d.writable)
        for d in plan.datasets
    ]


def modulepath(modules_root: str) -> str:
    return posixpath.join(modules_root, "modulefiles")


def module_loads(plan: LaunchPlan) -> list[str]:
    """Names for ``module load``, in the template's order (one module may need another)."""
    return [m.load_name for m in plan.modules]


def modulefile(modules_root: str, module: Module) -> str:
    return posixpath.join(modulepath(modules_root), module.owner, module.name, f"{module.version}.lua")


def secret_environment(plan: LaunchPlan) -> dict[str, str]:
    env: dict[str, str] = {}
    for secret in plan.env_secrets:
        env.update(secret.variables)
    return env


def secret_file_paths(plan: LaunchPlan, home: str) -> list[str]:
    return [posixpath.join(secrets_folder(home), s.path) for s in plan.file_secrets]


__all__ = [
    "Application", "Dataset", "DEFAULT_APPLICATIONS", "EnvSecret", "FileSecret", "Hardware",
    "LaunchPlan", "Module", "Mount", "NO_HARDWARE", "OptionsError", "SECRETS_DIR",
    "dataset_mounts", "datasets_folder", "module_loads", "modulefile",
    "modulepath", "parse_launch_plan", "resolve_application", "schema",
    "secret_environment", "secret_file_paths", "secrets_folder", "validate_against_schema",
]

