"""The single translation of the Notebooks Hub API's ``user_options``.

Both spawners (local processes and KubeSpawner) call these pure functions,
so a template means the same thing whichever way the hub runs servers.
Nothing here touches the file system, the network or the spawner: inputs
are plain data (user_options, the hardware list, the applications mapping,
secret values fetched by the caller) and outputs are small frozen
dataclasses.

Every rejection raises :class:`OptionsError` (a ``ValueError``) with a
sentence naming the offending entry, never a secret value.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from .errors import OptionsError

__all__ = [
    "OptionsError",
    "Dataset", "Module", "Secret", "Options", "Mount", "Application",
    "Hardware", "SecretFile", "DEFAULT_APPLICATIONS",
    "parse_user_options", "dataset_mounts", "modulepath", "module_loads",
    "resolve_application", "load_hardware", "parse_hardware",
    "hardware_limits", "parse_memory", "parse_secret_values",
    "secret_environment", "secret_files", "secret_mount_path",
]

# --------------------------------------------------------------------------
# Data shapes
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    id: str
    name: str          # as the user named it
    folder: str        # safe, unique folder name under ~/datasets
    write_access: bool


@dataclass(frozen=True)
class Module:
    id: str
    owner: str
    name: str
    version: str
    write_access: bool

    @property
    def load_name(self) -> str:
        """What ``module load`` takes: the path under MODULEPATH without ``.lua``."""
        return f"{self.owner}/{self.name}/{self.version}"


@dataclass(frozen=True)
class Secret:
    id: str
    name: str          # secretName
    type: str          # "env_var" | "raw"
    secret_path: str
    mount_path: str | None  # raw only; None means the default location


@dataclass(frozen=True)
class Options:
    application: str
    hardware: str | None
    file_path: str | None
    datasets: tuple[Dataset, ...] = ()
    modules: tuple[Module, ...] = ()
    secrets: tuple[Secret, ...] = ()


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


@dataclass(frozen=True)
class Hardware:
    name: str | None
    cpu: float | None = None      # cores
    memory: int | None = None     # bytes
    gpu: int | None = None


@dataclass(frozen=True)
class SecretFile:
    secret_name: str
    path: str
    # repr=False: a SecretFile may end up in a log line or a test failure
    # message; its content must not.
    content: str = field(repr=False)


# --------------------------------------------------------------------------
# Defaults
# --------------------------------------------------------------------------

#: applicationType -> how to run it.  ``cmd`` is the server command,
#: ``env`` is added to its environment, ``default_url`` is where the user
#: lands and ``file_url`` (with ``{file_path}``) where filePath opens.
#: ``requires`` lists Python packages that must be importable on the hub
#: host for the local spawner to consider the application installed.
DEFAULT_APPLICATIONS: dict[str, dict[str, Any]] = {
    "jupyterlab": {
        "cmd": ["jupyterhub-singleuser"],
        "env": {"JUPYTERHUB_SINGLEUSER_APP": "jupyter_server.serverapp.ServerApp"},
        "default_url": "/lab",
        "file_url": "/lab/tree/{file_path}",
        "requires": ["jupyterlab"],
    },
    "notebook": {
        "cmd": ["jupyterhub-singleuser"],
        "env": {"JUPYTERHUB_SINGLEUSER_APP": "notebook.notebookapp.NotebookApp"},
        "default_url": "/tree",
        "file_url": "/notebooks/{file_path}",
        "requires": ["notebook"],
    },
}

_TOP_LEVEL_KEYS = {"applicationType", "hardware", "filePath", "datasets", "modules", "secrets"}
_DATASET_KEYS = {"id", "name", "write_access"}
_MODULE_KEYS = {"id", "owner", "name", "version", "module_path", "write_access"}
_SECRET_KEYS = {"id", "secretName", "type", "secret_path", "mount_path"}
_SECRET_TYPES = ("env_var", "raw")

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Module name and version are single path components of the modulefile path.
_MODULE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")
# Owners are e-mail addresses; they are a path component too.
_OWNER = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+$")
_SHELL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}

#: Environment names a secret may not set: the hub's own variables, the
#: search path that decides which server binary runs, and what this package
#: uses internally.
RESERVED_ENV_NAMES = frozenset({
    "PATH", "HOME", "USER", "SHELL", "MODULEPATH", "LD_PRELOAD",
    "LD_LIBRARY_PATH", "MEM_LIMIT", "MEM_GUARANTEE", "CPU_LIMIT",
    "CPU_GUARANTEE",
})
RESERVED_ENV_PREFIXES = ("JUPYTERHUB_", "JPY_", "NBHUB_")

#: Where a raw secret without mount_path lands, relative to the home folder.
DEFAULT_SECRETS_DIR = ".secrets"
MAX_FOLDER_BYTES = 255  # NAME_MAX on Linux file systems


# --------------------------------------------------------------------------
# Small checks (each raises OptionsError naming what is wrong)
# --------------------------------------------------------------------------


def _require_dict(value: Any, what: str) -> dict:
    if not isinstance(value, dict):
        raise OptionsError(f"{what} must be a JSON object")
    return value


def _reject_unknown(entry: dict, allowed: set, what: str) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise OptionsError(f"{what} has unknown field(s): {', '.join(unknown)}")


def _text(entry: dict, key: str, what: str, *, required: bool = True) -> str | None:
    value = entry.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise OptionsError(f"{what}: '{key}' must be a non-empty string")
    if _CONTROL.search(value):
        raise OptionsError(f"{what}: '{key}' contains control characters")
    return value


def _flag(entry: dict, key: str, what: str) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise OptionsError(f"{what}: '{key}' must be true or false")
    return value


def _uuid(entry: dict, what: str) -> str:
    """Ids become path components (dataset folders, PVC subPaths): accept
    canonical UUIDs only, so an id can never traverse directories."""
    value = _text(entry, "id", what)
    try:
        canonical = str(uuid.UUID(value))
    except ValueError:
        raise OptionsError(f"{what}: 'id' is not a UUID") from None
    if canonical != value.lower():
        raise OptionsError(f"{what}: 'id' is not a UUID in canonical form")
    return canonical


def _list(options: dict, key: str) -> list:
    value = options.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise OptionsError(f"'{key}' must be a list")
    return value


def _no_dotdot(path: str) -> bool:
    return ".." not in path.split("/")


# --------------------------------------------------------------------------
# user_options -> Options
# --------------------------------------------------------------------------


def parse_user_options(user_options: Any) -> Options:
    """Validate and normalise user_options as sent by the Notebooks Hub API."""
    opts = _require_dict(user_options, "user_options")
    _reject_unknown(opts, _TOP_LEVEL_KEYS, "user_options")
    application = _text(opts, "applicationType", "user_options")
    hardware = _text(opts, "hardware", "user_options", required=False)
    return Options(
        application=application,
        hardware=hardware,
        file_path=_file_path(opts.get("filePath")),
        datasets=_datasets(_list(opts, "datasets")),
        modules=_modules(_list(opts, "modules")),
        secrets=_secrets(_list(opts, "secrets")),
    )


def _file_path(value: Any) -> str | None:
    """filePath is opened relative to the home folder: it must stay inside it."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or _CONTROL.search(value):
        raise OptionsError("'filePath' must be a string without control characters")
    if value.startswith("/") or not _no_dotdot(value):
        raise OptionsError("'filePath' must be relative to the home folder, without '..'")
    return posixpath.normpath(value)


def safe_folder_name(name: str) -> str:
    """A dataset name as a single folder name: no '/', no NUL or control
    characters, not '.' or '..', at most 255 bytes."""
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
    raw: list[tuple[str, str, bool]] = []
    seen_ids: set[str] = set()
    for index, entry in enumerate(entries):
        what = f"datasets[{index}]"
        _reject_unknown(_require_dict(entry, what), _DATASET_KEYS, what)
        dataset_id = _uuid(entry, what)
        if dataset_id in seen_ids:
            raise OptionsError(f"{what}: dataset {dataset_id} is listed twice")
        seen_ids.add(dataset_id)
        raw.append((dataset_id, _text(entry, "name", what), _flag(entry, "write_access", what)))
    folders = _unique_folders([(i, safe_folder_name(n)) for i, n, _ in raw])
    return tuple(Dataset(i, n, folders[i], w) for i, n, w in raw)


def _unique_folders(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Map dataset id -> folder, suffixing every colliding name with the first
    8 characters of its id.  Using the id (not the list position) keeps each
    dataset's folder the same whatever order the template lists them in."""
    counts: dict[str, int] = {}
    for _, folder in pairs:
        counts[folder] = counts.get(folder, 0) + 1
    result: dict[str, str] = {}
    for dataset_id, folder in pairs:
        result[dataset_id] = folder if counts[folder] == 1 else f"{folder}-{dataset_id[:8]}"
    if len(set(result.values())) != len(result):
        raise OptionsError("datasets: two datasets resolve to the same folder name")
    return result


def _modules(entries: list) -> tuple[Module, ...]:
    modules = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        what = f"modules[{index}]"
        _reject_unknown(_require_dict(entry, what), _MODULE_KEYS, what)
        module = Module(
            id=_uuid(entry, what),
            owner=_text(entry, "owner", what),
            name=_text(entry, "name", what),
            version=_text(entry, "version", what),
            write_access=_flag(entry, "write_access", what),
        )
        _check_module(module, entry, what)
        if module.load_name in seen:
            raise OptionsError(f"{what}: module {module.load_name} is listed twice")
        seen.add(module.load_name)
        modules.append(module)
    return tuple(modules)


def _check_module(module: Module, entry: dict, what: str) -> None:
    """Owner, name and version are path components of the modulefile: they
    must not contain '/' or be '.'/'..'."""
    if not _OWNER.match(module.owner) or ".." in module.owner:
        raise OptionsError(f"{what}: 'owner' must be an e-mail address")
    for key in ("name", "version"):
        part = getattr(module, key)
        if not _MODULE_PART.match(part) or part in (".", ".."):
            raise OptionsError(f"{what}: '{key}' may only contain letters, digits, '.', '_', '+', '-'")
    declared = entry.get("module_path")
    if declared is not None and declared != f"{module.owner}/{module.name}":
        raise OptionsError(f"{what}: 'module_path' does not match owner/name")


def _secrets(entries: list) -> tuple[Secret, ...]:
    secrets = []
    seen_ids: set[str] = set()
    for index, entry in enumerate(entries):
        what = f"secrets[{index}]"
        _reject_unknown(_require_dict(entry, what), _SECRET_KEYS, what)
        secret = _secret(entry, what)
        if secret.id in seen_ids:
            raise OptionsError(f"{what}: secret {secret.id} is listed twice")
        seen_ids.add(secret.id)
        secrets.append(secret)
    return tuple(secrets)


def _secret(entry: dict, what: str) -> Secret:
    kind = entry.get("type")
    if kind not in _SECRET_TYPES:
        raise OptionsError(f"{what}: 'type' must be one of {', '.join(_SECRET_TYPES)}")
    mount_path = _text(entry, "mount_path", what, required=False)
    if mount_path is not None:
        if kind != "raw":
            raise OptionsError(f"{what}: only raw secrets have a 'mount_path'")
        _check_mount_path(mount_path, what)
    return Secret(
        id=_uuid(entry, what),
        name=_text(entry, "secretName", what),
        type=kind,
        secret_path=_text(entry, "secret_path", what),
        mount_path=mount_path,
    )


def _check_mount_path(path: str, what: str) -> None:
    """A raw secret's folder becomes a private tmpfs (local) or a Vault
    volume (Kubernetes), hiding what was there: it must be an absolute,
    normalised file path at least two folders deep (never '/x' or '/etc/x')."""
    if not path.startswith("/") or not _no_dotdot(path) or path.endswith("/"):
        raise OptionsError(f"{what}: 'mount_path' must be an absolute file path without '..'")
    if posixpath.normpath(path) != path:
        raise OptionsError(f"{what}: 'mount_path' must be a normalised path")
    if posixpath.dirname(path).count("/") < 2:
        raise OptionsError(f"{what}: 'mount_path' must be inside a folder at least two levels deep")


# --------------------------------------------------------------------------
# Datasets and modules
# --------------------------------------------------------------------------


def datasets_folder(home: str) -> str:
    return posixpath.join(home, "datasets")


def dataset_mounts(options: Options, datasets_root: str, home: str) -> list[Mount]:
    """(source, target, read_only) for every dataset: the dataset's folder
    ``{datasets_root}/{id}`` appears at ``{home}/datasets/{folder}``."""
    target_dir = datasets_folder(home)
    return [
        Mount(
            source=posixpath.join(datasets_root, d.id),
            target=posixpath.join(target_dir, d.folder),
            read_only=not d.write_access,
        )
        for d in options.datasets
    ]


def modulepath(modules_root: str) -> str:
    return posixpath.join(modules_root, "modulefiles")


def module_loads(options: Options) -> list[str]:
    """Names for ``module load``, in the template's order (order matters when
    one module depends on another)."""
    return [m.load_name for m in options.modules]


def modulefile(modules_root: str, module: Module) -> str:
    return posixpath.join(modulepath(modules_root), module.owner, module.name, f"{module.version}.lua")


# --------------------------------------------------------------------------
# Applications
# --------------------------------------------------------------------------


def _not_installed(name: str, applications: Mapping[str, Any]) -> OptionsError:
    available = ", ".join(sorted(applications)) or "none"
    return OptionsError(
        f"The application '{name}' is not installed on this hub (installed: {available})"
    )


def resolve_application(
    options: Options,
    applications: Mapping[str, Mapping[str, Any]],
    is_installed: Callable[[Mapping[str, Any]], bool] = lambda spec: True,
) -> Application:
    """How to run ``options.application``.  An application missing from the
    mapping, or one ``is_installed`` rejects, is 'not installed on this hub'."""
    name = options.application
    # Templates say "JupyterLab" where configuration says "jupyterlab".
    by_lower = {str(key).lower(): value for key, value in applications.items()}
    spec = applications.get(name, by_lower.get(name.lower()))
    if spec is None or not is_installed(spec):
        raise _not_installed(name, applications)
    cmd = spec.get("cmd")
    if not cmd or not all(isinstance(c, str) and c for c in cmd):
        raise OptionsError(f"The application '{name}' has no valid 'cmd' in the hub's configuration")
    env = {str(k): str(v) for k, v in (spec.get("env") or {}).items()}
    return Application(name, tuple(cmd), env, _default_url(spec, options.file_path), spec)


def _default_url(spec: Mapping[str, Any], file_path: str | None) -> str | None:
    from urllib.parse import quote

    if file_path and spec.get("file_url"):
        return spec["file_url"].format(file_path=quote(file_path))
    return spec.get("default_url")


# --------------------------------------------------------------------------
# Hardware
# --------------------------------------------------------------------------


def parse_memory(value: Any) -> int:
    """'2G' -> 2147483648.  Units are powers of 1024, like JupyterHub's
    ByteSpecification (K, M, G, T; 'Gi', 'GB' accepted); a bare number is bytes."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise OptionsError(f"memory {value!r} must be a string like '2G' or '512M'")
    match = _MEMORY.match(str(value))
    if not match:
        raise OptionsError(f"memory {value!r} must be a number with an optional unit K, M, G or T")
    number, unit = match.groups()
    result = int(float(number) * _UNITS[unit.upper()])
    if result <= 0:
        raise OptionsError(f"memory {value!r} must be positive")
    return result


def parse_hardware(entries: Any) -> dict[str, Hardware]:
    """Validate the hardware file's content: a list of named entries."""
    if not isinstance(entries, list):
        raise OptionsError("the hardware file must hold a JSON list")
    result: dict[str, Hardware] = {}
    for index, entry in enumerate(entries):
        what = f"hardware[{index}]"
        _require_dict(entry, what)
        name = _text(entry, "name", what)
        if name in result:
            raise OptionsError(f"{what}: hardware '{name}' is defined twice")
        result[name] = Hardware(name, _cpu(entry.get("cpu"), what), _memory(entry.get("memory")), _gpu(entry.get("gpu"), what))
    return result


def _cpu(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise OptionsError(f"{what}: 'cpu' must be a positive number of cores")
    return float(value)


def _memory(value: Any) -> int | None:
    return None if value is None else parse_memory(value)


def _gpu(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise OptionsError(f"{what}: 'gpu' must be a whole number >= 0")
    return value or None


def load_hardware(path: str | None) -> dict[str, Hardware]:
    """Read and validate the hardware file; no file configured means no sizes."""
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            return parse_hardware(json.load(handle))
    except OSError as exc:
        raise OptionsError(f"the hardware file {path} cannot be read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise OptionsError(f"the hardware file {path} is not valid JSON ({exc.msg})") from None


def hardware_limits(options: Options, hardware: Mapping[str, Hardware]) -> Hardware:
    """The limits of the requested hardware; no hardware requested means none."""
    if options.hardware is None:
        return Hardware(None)
    found = hardware.get(options.hardware)
    if found is None:
        known = ", ".join(sorted(hardware)) or "none"
        raise OptionsError(f"Unknown hardware '{options.hardware}' (this hub offers: {known})")
    return found


# --------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------


def parse_secret_values(options: Options, payload: Any) -> tuple[dict[str, Any], list[Secret]]:
    """Match the API's answer to the requested secrets by id.

    Returns ``(values by secret id, requested secrets the API did not give)``.
    The API deliberately leaves out secrets the owner may no longer read, so
    a missing one is reported to the caller rather than failing the spawn.
    Shape errors name the secret, never its value.
    """
    if not isinstance(payload, list):
        raise OptionsError("the API's secrets answer is not a list")
    wanted = {s.id: s for s in options.secrets}
    values: dict[str, Any] = {}
    for index, item in enumerate(payload):
        if not isinstance(item, dict) or item.get("id") not in wanted:
            continue  # not requested by this server: ignore, never store
        secret = wanted[item["id"]]
        if item.get("type") != secret.type:
            raise OptionsError(f"secret '{secret.name}': the API gave type {item.get('type')!r}, expected {secret.type}")
        values[secret.id] = _checked_value(secret, item.get("value"))
    missing = [s for s in options.secrets if s.id not in values]
    return values, missing


def _checked_value(secret: Secret, value: Any) -> Any:
    if secret.type == "raw":
        if not isinstance(value, str) or "\x00" in value:
            raise OptionsError(f"secret '{secret.name}': a raw value must be text without NUL characters")
        return value
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise OptionsError(f"secret '{secret.name}': an env_var value must map names to strings")
    if any("\x00" in v for v in value.values()):
        raise OptionsError(f"secret '{secret.name}': values cannot contain NUL characters")
    return value


def check_env_name(name: Any, secret_name: str) -> str:
    """Secret variables must be shell identifiers and may not replace the
    hub's variables (JUPYTERHUB_*, ...) or PATH, which choose what runs."""
    if not isinstance(name, str) or not _SHELL_NAME.match(name):
        raise OptionsError(f"secret '{secret_name}': {name!r} is not a valid environment variable name")
    if name in RESERVED_ENV_NAMES or name.startswith(RESERVED_ENV_PREFIXES):
        raise OptionsError(f"secret '{secret_name}': the variable {name} is reserved by the hub")
    return name


def secret_environment(options: Options, values: Mapping[str, Any]) -> dict[str, str]:
    """Variables from env_var secrets; two secrets setting one name is an error."""
    env: dict[str, str] = {}
    origin: dict[str, str] = {}
    for secret in options.secrets:
        if secret.type != "env_var" or secret.id not in values:
            continue
        for name, value in values[secret.id].items():
            check_env_name(name, secret.name)
            if name in env:
                raise OptionsError(f"secrets '{origin[name]}' and '{secret.name}' both set {name}")
            env[name], origin[name] = value, secret.name
    return env


def secret_mount_path(secret: Secret, home: str) -> str:
    """Where a raw secret's file goes: its mount_path or ~/.secrets/<name>."""
    if secret.mount_path:
        return secret.mount_path
    name = secret.name.replace("/", "_").strip(".") or secret.id
    return posixpath.join(home, DEFAULT_SECRETS_DIR, name)


def secret_files(options: Options, values: Mapping[str, Any], home: str) -> list[SecretFile]:
    """Files from raw secrets; two secrets at one path is an error."""
    files: list[SecretFile] = []
    seen: set[str] = set()
    for secret in options.secrets:
        if secret.type != "raw" or secret.id not in values:
            continue
        path = secret_mount_path(secret, home)
        if path in seen:
            raise OptionsError(f"secret '{secret.name}': another secret already uses {path}")
        seen.add(path)
        files.append(SecretFile(secret.name, path, values[secret.id]))
    return files


def secret_folders(paths: Sequence[str]) -> list[str]:
    """The distinct folders holding secret files, in first-seen order."""
    return list(dict.fromkeys(posixpath.dirname(p) for p in paths))
