"""The same user_options translation for KubeSpawner.

Nothing here imports kubespawner: :func:`pod_plan` computes a
:class:`PodPlan` (plain data) from user_options; two thin appliers put it
where KubeSpawner wants it:

* :func:`apply_to_kubespawner` sets KubeSpawner's documented traits
  (``volumes``, ``volume_mounts``, ``environment``, ``extra_annotations``,
  ``image``, ``cpu_limit``/``cpu_guarantee``, ``mem_limit``/``mem_guarantee``,
  ``extra_resource_limits``, ``cmd``); use it as ``pre_spawn_hook``.
* :func:`make_modify_pod_hook` edits the ``kubernetes.client.V1Pod``
  KubeSpawner built; use it as ``modify_pod_hook``.

Secret values never pass through the hub: the Vault Agent injector renders
them inside the pod from annotations naming only Vault paths.

Example ``jupyterhub_config.py``::

    from notebooks_hub_spawner.kubernetes import KubeSettings, make_modify_pod_hook
    settings = KubeSettings(images={"jupyterlab": "quay.io/jupyter/base-notebook:2024-01-01"},
                            datasets_claim="datasets", modules_claim="modules",
                            vault_role="notebooks")
    c.KubeSpawner.modify_pod_hook = make_modify_pod_hook(settings)
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Mapping

from . import options as opt
from .errors import OptionsError

VAULT = "vault.hashicorp.com/"
DATASETS_VOLUME = "nbhub-datasets"
MODULES_VOLUME = "nbhub-modules"


@dataclass(frozen=True)
class KubeSettings:
    """Hub-side configuration of the Kubernetes translation."""
    images: Mapping[str, str] = field(default_factory=dict)       # applicationType -> image
    applications: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: dict(opt.DEFAULT_APPLICATIONS))
    hardware: Mapping[str, opt.Hardware] = field(default_factory=dict)
    home: str = "/home/jovyan"
    datasets_root: str = "/datasets"        # hostPath, when no claim is set
    datasets_claim: str | None = None       # PVC holding one folder per dataset id
    modules_root: str = "/opt/modules"      # path on the host and in the pod
    modules_claim: str | None = None
    lmod_init: str = "/usr/share/lmod/lmod/init/bash"
    vault_role: str = "notebooks-hub"
    vault_kv_version: int = 2               # KV v2 keeps data under .Data.data
    vault_raw_key: str = "value"            # field of a raw secret in Vault
    vault_secrets_dir: str = "/vault/secrets"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "KubeSettings":
        """The settings a hub gives in its environment (deploy/jupyterhub/jupyterhub_config.py)."""
        defaults = cls()
        try:
            images = json.loads(env.get("NOTEBOOKS_HUB_IMAGES", "{}"))
        except json.JSONDecodeError as exc:
            raise OptionsError(f"NOTEBOOKS_HUB_IMAGES is not valid JSON ({exc.msg})") from None
        if not isinstance(images, dict) or not all(isinstance(v, str) for v in images.values()):
            raise OptionsError("NOTEBOOKS_HUB_IMAGES must be a JSON object of applicationType -> image")
        return cls(
            images={str(k).lower(): v for k, v in images.items()},
            hardware=opt.load_hardware(env.get("HARDWARE_FILE")),
            home=env.get("NOTEBOOKS_HUB_HOME", defaults.home),
            datasets_root=env.get("DATASETS_ROOT", defaults.datasets_root),
            datasets_claim=env.get("NOTEBOOKS_HUB_DATASETS_CLAIM") or None,
            modules_root=env.get("MODULES_ROOT", defaults.modules_root),
            modules_claim=env.get("NOTEBOOKS_HUB_MODULES_CLAIM") or None,
            vault_role=env.get("NOTEBOOKS_HUB_VAULT_ROLE", defaults.vault_role),
        )


@dataclass
class PodPlan:
    image: str
    command: list[str]                      # wrapper + server command (no server args)
    env: dict[str, str]
    volumes: list[dict]
    volume_mounts: list[dict]
    annotations: dict[str, str]
    default_url: str | None
    cpu: float | None
    memory: int | None
    gpu: int | None


# --------------------------------------------------------------------------
# user_options -> PodPlan
# --------------------------------------------------------------------------


def pod_plan(user_options: Any, settings: KubeSettings) -> PodPlan:
    options = opt.parse_user_options(user_options)
    app = opt.resolve_application(options, settings.applications)
    # Templates say "JupyterLab" where configuration may say "jupyterlab".
    image = settings.images.get(options.application) or {k.lower(): v for k, v in settings.images.items()}.get(options.application.lower())
    if not image:
        raise OptionsError(f"The application '{options.application}' is not installed on this hub (no image configured)")
    hardware = opt.hardware_limits(options, settings.hardware)
    names = vault_names(options)
    volumes, mounts = _storage(options, settings)
    env = dict(app.env)
    if options.modules:
        env["MODULEPATH"] = opt.modulepath(settings.modules_root)
    return PodPlan(
        image=image,
        command=start_command(options, settings, names, app.cmd),
        env=env,
        volumes=volumes,
        volume_mounts=mounts,
        annotations=vault_annotations(options, settings, names),
        default_url=app.default_url,
        cpu=hardware.cpu, memory=hardware.memory, gpu=hardware.gpu,
    )


def _storage(options: opt.Options, settings: KubeSettings) -> tuple[list[dict], list[dict]]:
    """One datasets volume mounted once per dataset (subPath = dataset id) and
    one read-only modules volume."""
    volumes: list[dict] = []
    mounts: list[dict] = []
    if options.datasets:
        volumes.append(_volume(DATASETS_VOLUME, settings.datasets_claim, settings.datasets_root))
        for m, dataset in zip(opt.dataset_mounts(options, settings.datasets_root, settings.home), options.datasets):
            mounts.append({"name": DATASETS_VOLUME, "mountPath": m.target, "subPath": dataset.id, "readOnly": m.read_only})
    if options.modules:
        volumes.append(_volume(MODULES_VOLUME, settings.modules_claim, settings.modules_root, read_only=True))
        mounts.append({"name": MODULES_VOLUME, "mountPath": settings.modules_root, "readOnly": True})
    return volumes, mounts


def _volume(name: str, claim: str | None, host_path: str, read_only: bool = False) -> dict:
    if claim:
        return {"name": name, "persistentVolumeClaim": {"claimName": claim, "readOnly": read_only}}
    return {"name": name, "hostPath": {"path": host_path, "type": "Directory"}}


# --------------------------------------------------------------------------
# Vault Agent injector
# --------------------------------------------------------------------------

_ANNOTATION_NAME = re.compile(r"[^a-z0-9-]+")


def vault_names(options: opt.Options) -> dict[str, str]:
    """secret id -> the name used in annotation keys and /vault/secrets/<name>.

    Annotation names must be DNS-label-like and short (the full key part
    is at most 63 characters, 'agent-inject-template-' takes 22); colliding
    names get the start of the secret's id, as dataset folders do."""
    base = {s.id: (_ANNOTATION_NAME.sub("-", s.name.lower()).strip("-")[:28] or "secret") for s in options.secrets}
    counts: dict[str, int] = {}
    for name in base.values():
        counts[name] = counts.get(name, 0) + 1
    return {i: (n if counts[n] == 1 else f"{n}-{i[:8]}") for i, n in base.items()}


def _data(settings: KubeSettings) -> str:
    return ".Data.data" if settings.vault_kv_version == 2 else ".Data"


def env_template(secret_path: str, settings: KubeSettings) -> str:
    """Renders ``export NAME='value'`` lines.  Values are single-quoted with
    embedded quotes escaped, so sourcing the file can never run a command
    hidden in a value; names that are not identifiers or are reserved
    (JUPYTERHUB_*, PATH, ...) are skipped, as the local spawner rejects them."""
    reserved = "|".join(sorted(opt.RESERVED_ENV_NAMES)) + "|" + "|".join(p + ".*" for p in opt.RESERVED_ENV_PREFIXES)
    return (
        f'{{{{- with secret "{secret_path}" -}}}}'
        f'{{{{- range $k, $v := {_data(settings)} }}}}'
        '{{- if and (regexMatch "^[A-Za-z_][A-Za-z0-9_]*$" $k) '
        f'(not (regexMatch "^({reserved})$" $k)) }}}}'
        "\nexport {{ $k }}='{{ $v | replaceAll \"'\" \"'\\\\''\" }}'"
        "{{- end }}{{- end }}{{- end }}\n"
    )


def raw_template(secret_path: str, settings: KubeSettings) -> str:
    return f'{{{{- with secret "{secret_path}" -}}}}{{{{ {_data(settings)}.{settings.vault_raw_key} }}}}{{{{- end }}}}'


def vault_annotations(options: opt.Options, settings: KubeSettings, names: Mapping[str, str]) -> dict[str, str]:
    if not options.secrets:
        return {}
    annotations = {f"{VAULT}agent-inject": "true", f"{VAULT}role": settings.vault_role}
    for secret in options.secrets:
        n = names[secret.id]
        annotations[f"{VAULT}agent-inject-secret-{n}"] = secret.secret_path
        annotations[f"{VAULT}agent-inject-perms-{n}"] = "0600"
        if secret.type == "env_var":
            annotations[f"{VAULT}agent-inject-template-{n}"] = env_template(secret.secret_path, settings)
        else:
            path = opt.secret_mount_path(secret, settings.home)
            annotations[f"{VAULT}agent-inject-template-{n}"] = raw_template(secret.secret_path, settings)
            annotations[f"{VAULT}secret-volume-path-{n}"] = posixpath.dirname(path)
            annotations[f"{VAULT}agent-inject-file-{n}"] = posixpath.basename(path)
    return annotations


# --------------------------------------------------------------------------
# Start command
# --------------------------------------------------------------------------


def start_command(options: opt.Options, settings: KubeSettings, names: Mapping[str, str], cmd) -> list[str]:
    """``bash -c <script> nbhub-start <server cmd>``: source env secrets and
    Lmod, load modules (failing loudly), then exec the server ("$@")."""
    q = shlex.quote
    lines = ["set -e"]
    for secret in options.secrets:
        if secret.type == "env_var":
            lines.append(f". {q(posixpath.join(settings.vault_secrets_dir, names[secret.id]))}")
    if options.modules:
        lines.append(f". {q(settings.lmod_init)}")
        for name in opt.module_loads(options):
            lines.append(f"module load {q(name)} || {{ echo {q(f'module {name} could not be loaded')} >&2; exit 1; }}")
    lines.append('exec "$@"')
    return ["/bin/bash", "-c", "\n".join(lines) + "\n", "nbhub-start", *cmd]


# --------------------------------------------------------------------------
# Appliers
# --------------------------------------------------------------------------


def apply_to_kubespawner(spawner, settings: KubeSettings) -> PodPlan:
    """Set KubeSpawner traits from ``spawner.user_options`` (a pre_spawn_hook)."""
    plan = pod_plan(spawner.user_options, settings)
    spawner.image = plan.image
    spawner.cmd = plan.command
    spawner.volumes = list(spawner.volumes or []) + plan.volumes
    spawner.volume_mounts = list(spawner.volume_mounts or []) + plan.volume_mounts
    spawner.environment = {**(spawner.environment or {}), **plan.env}
    spawner.extra_annotations = {**(spawner.extra_annotations or {}), **plan.annotations}
    if plan.default_url:
        spawner.default_url = plan.default_url
    # Guarantees equal limits: a server gets what its hardware size promises.
    spawner.cpu_limit = spawner.cpu_guarantee = plan.cpu
    spawner.mem_limit = spawner.mem_guarantee = plan.memory
    if plan.gpu:
        spawner.extra_resource_limits = {**(spawner.extra_resource_limits or {}), "nvidia.com/gpu": str(plan.gpu)}
    return plan


def make_pre_spawn_hook(settings: KubeSettings):
    def pre_spawn_hook(spawner):
        apply_to_kubespawner(spawner, settings)
    return pre_spawn_hook


def _resources(plan: PodPlan) -> dict[str, str]:
    res: dict[str, str] = {}
    if plan.cpu:
        res["cpu"] = f"{plan.cpu:g}"
    if plan.memory:
        res["memory"] = str(plan.memory)
    if plan.gpu:
        res["nvidia.com/gpu"] = str(plan.gpu)
    return res


def modify_pod(spawner, pod, settings: KubeSettings):
    """Edit the notebook container of a ``kubernetes.client.V1Pod``."""
    from kubernetes.client import models as k8s  # only needed by this applier

    plan = pod_plan(spawner.user_options, settings)
    if plan.default_url:
        spawner.default_url = plan.default_url
    container = _notebook_container(pod)
    container.image = plan.image
    container.args = plan.command + list(spawner.get_args())
    container.command = None  # the image's entrypoint (e.g. tini) stays in charge
    container.env = list(container.env or []) + [k8s.V1EnvVar(name=k, value=v) for k, v in plan.env.items()]
    container.volume_mounts = list(container.volume_mounts or []) + [
        k8s.V1VolumeMount(name=m["name"], mount_path=m["mountPath"], sub_path=m.get("subPath"), read_only=m["readOnly"])
        for m in plan.volume_mounts
    ]
    pod.spec.volumes = list(pod.spec.volumes or []) + [_v1_volume(v, k8s) for v in plan.volumes]
    pod.metadata = pod.metadata or k8s.V1ObjectMeta()
    pod.metadata.annotations = {**(pod.metadata.annotations or {}), **plan.annotations}
    resources = _resources(plan)
    if resources:
        container.resources = k8s.V1ResourceRequirements(limits=dict(resources), requests=dict(resources))
    return pod


def _notebook_container(pod):
    for container in pod.spec.containers:
        if container.name == "notebook":
            return container
    return pod.spec.containers[0]


def _v1_volume(volume: dict, k8s):
    if "persistentVolumeClaim" in volume:
        pvc = volume["persistentVolumeClaim"]
        return k8s.V1Volume(name=volume["name"], persistent_volume_claim=k8s.V1PersistentVolumeClaimVolumeSource(
            claim_name=pvc["claimName"], read_only=pvc["readOnly"]))
    return k8s.V1Volume(name=volume["name"], host_path=k8s.V1HostPathVolumeSource(**volume["hostPath"]))


def make_modify_pod_hook(settings: KubeSettings):
    def modify_pod_hook(spawner, pod):
        return modify_pod(spawner, pod, settings)
    return modify_pod_hook
