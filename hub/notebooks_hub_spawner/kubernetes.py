"""KubeSpawner hooks: each server is built from the launch plan the API decided.

A server's ``user_options`` are exactly ``{"launchTicket": ...}``.  Anyone can
hand-craft user_options with their own hub token and the hub's REST API, so
nothing else in them is believed: three hooks, wired in
``jupyterhub_config.py``, build the server from the API's answer only.

* :func:`make_pre_spawn_hook` (``c.KubeSpawner.pre_spawn_hook``, async):
  refuses the unnamed default server, redeems the ticket at the API
  (:mod:`.api`, ``limitsEnforced`` true: Kubernetes enforces requests and
  limits), parses the launch plan (:func:`.plan.parse_launch_plan`, bound to
  this hub user and server), checks it can be built, writes the server's
  Kubernetes Secret, sets KubeSpawner's ``image`` and ``default_url`` and
  keeps the plan on the spawner (``spawner.notebooks_hub_plan``).  Without a valid ticket it raises
  SpawnError(:data:`.api.NOT_FROM_THE_API`) and builds nothing.
* :func:`make_modify_pod_hook` (``c.KubeSpawner.modify_pod_hook``): edits the
  ``notebook`` container of the pod KubeSpawner built, from that plan only
  (no plan on the spawner, a plan for another server, or a pod not running
  the plan's image: refused).
* :func:`post_stop_hook` (``c.KubeSpawner.post_stop_hook``, async): deletes
  the server's Secret and forgets the plan.  JupyterHub also runs it after a
  failed start.

What a pod gets from its plan: the image of its application
(``KubeSettings.images``, case-insensitive), ``bash -c`` loading its Lmod
modules before exec'ing the server, the datasets volume mounted once per
dataset (subPath = the dataset's source folder, read-only unless the plan
says write), the modules volume read-only, the application's environment,
its default URL, and requests = limits for cpu, memory and ``nvidia.com/gpu``.

Secrets (decision)
------------------
Values are delivered as the local spawner delivers them: from the plan, which
the API decided from the person's access at the moment of this start.  They
are not rendered by the Vault Agent injector under one role shared by every
server any more: that role could read every path any server might need, and
the paths came from pod annotations, so one person could have a pod render
another person's secret (and the paths went unescaped into agent templates).

The values are never put in the pod spec either: anyone who may read pods
(``kubectl get pod -o yaml``, the hub's logs of the manifest, monitoring)
would read them.  They go into one Kubernetes Secret per server
(:func:`secret_manifest`, named :func:`secret_name` from a hash of hub user
and server name): one key per environment variable, given to the container
with ``valueFrom.secretKeyRef``, and one key per raw secret file, mounted as
a secret volume (tmpfs on the node, read-only) at the plan's secrets folder
``<home>/.secrets`` with ``items`` mapping each key to its relative path.
Files get mode 0440: Kubernetes owns them by root and group-owns them by the
pod's fsGroup (``singleuser.fsGid``), which is how the server's user (uid
1000, gid 100) reads them; 0400 would leave them readable by root only.
The Secret is written and deleted by :func:`store_secret` only, with the
spawner's own Kubernetes client (the chart's hub Role may get, create and
delete Secrets in its namespace; it may not update them, so an existing
Secret is deleted and created again).

Hooks, not a KubeSpawner subclass (decision)
--------------------------------------------
The pod stays the one KubeSpawner builds from the chart's configuration
(security context, home volume, labels, scheduling); the hooks add what the
plan says at the three points KubeSpawner documents for it: before any
Kubernetes object exists, on the pod it built, and after the pod is gone
(also after a failed start).  The image is KubeSpawner's own ``image`` trait,
set per start, so KubeSpawner writes it into the container and into
``JUPYTER_IMAGE``; the default URL likewise (JupyterHub exports
``JUPYTERHUB_DEFAULT_URL``).  A subclass would override ``start``,
``get_pod_manifest`` and ``stop``, internals whose signatures moved between
KubeSpawner majors, to do the same.  The one thing a subclass would add (no
later configuration could replace the hooks) is covered by the deploy
configuration's tests, which check that both configurations wire all three.

The pod hook builds ``kubernetes_asyncio`` models, the client library of
KubeSpawner 6 and later; the tests check the manifest KubeSpawner 7's own
``get_pod_manifest`` builds with the hooks applied.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import shlex
from dataclasses import dataclass, field
from typing import Any, Mapping

from kubernetes_asyncio.client import models as k8s

from . import api
from .errors import OptionsError, SpawnError
from .plan import (
    DEFAULT_APPLICATIONS,
    Hardware,
    LaunchPlan,
    dataset_mounts,
    module_loads,
    modulepath,
    parse_launch_plan,
    resolve_application,
    secrets_folder,
)

PLAN_ATTRIBUTE = "notebooks_hub_plan"
DATASETS_VOLUME = "nbhub-datasets"
MODULES_VOLUME = "nbhub-modules"
SECRETS_VOLUME = "nbhub-secrets"
GPU_RESOURCE = "nvidia.com/gpu"
SECRET_FILE_MODE = 0o440
LABEL_PREFIX = "notebooks-hub.org/"


@dataclass(frozen=True)
class KubeSettings:
    """Hub-side configuration of the KubeSpawner hooks."""
    images: Mapping[str, str] = field(default_factory=dict)       # applicationType -> image
    applications: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: dict(DEFAULT_APPLICATIONS))
    home: str = "/home/jovyan"
    datasets_root: str = "/datasets"        # hostPath, when no claim is set
    datasets_claim: str | None = None       # PVC holding one folder per dataset source
    modules_root: str = "/opt/modules"      # path on the host and in the pod
    modules_claim: str | None = None
    lmod_init: str = "/usr/share/lmod/lmod/init/bash"
    api_url: str = ""                       # where launch tickets are redeemed
    spawner_token: str = field(default="", repr=False)
    api_timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "KubeSettings":
        """The settings a hub gives in its environment (deploy/jupyterhub/jupyterhub_config.py,
        the zero-to-jupyterhub values).  A hub that cannot ask the API what to
        start refuses to start rather than fail every spawn."""
        defaults = cls()
        try:
            images = json.loads(env.get("NOTEBOOKS_HUB_IMAGES", "{}"))
        except json.JSONDecodeError as exc:
            raise OptionsError(f"NOTEBOOKS_HUB_IMAGES is not valid JSON ({exc.msg})") from None
        if not isinstance(images, dict) or not all(isinstance(v, str) for v in images.values()):
            raise OptionsError("NOTEBOOKS_HUB_IMAGES must be a JSON object of applicationType -> image")
        missing = [name for name in ("NOTEBOOKS_HUB_API_URL", "NOTEBOOKS_HUB_SPAWNER_TOKEN") if not env.get(name, "").strip()]
        if missing:
            raise OptionsError(f"{' and '.join(missing)} must be set: the spawner asks the Notebooks Hub API what each server gets")
        return cls(
            images={str(k).lower(): v for k, v in images.items()},
            home=env.get("NOTEBOOKS_HUB_HOME", defaults.home),
            datasets_root=env.get("DATASETS_ROOT", defaults.datasets_root),
            datasets_claim=env.get("NOTEBOOKS_HUB_DATASETS_CLAIM") or None,
            modules_root=env.get("MODULES_ROOT", defaults.modules_root),
            modules_claim=env.get("NOTEBOOKS_HUB_MODULES_CLAIM") or None,
            api_url=env["NOTEBOOKS_HUB_API_URL"].strip(),
            spawner_token=env["NOTEBOOKS_HUB_SPAWNER_TOKEN"].strip(),
        )


@dataclass
class PodPlan:
    """What the pod hook applies, computed from a LaunchPlan (plain data)."""
    image: str
    command: list[str]                      # start script + server command (no server args)
    env: dict[str, str]
    volumes: list[dict]
    volume_mounts: list[dict]
    default_url: str | None
    resources: dict[str, str]               # requests = limits
    secret_env: dict[str, str]              # variable -> key in the server's Secret
    secret_files: list[dict]                # {"key", "path"} relative to the secrets folder
    secret_name: str


# --------------------------------------------------------------------------
# LaunchPlan -> PodPlan (pure)
# --------------------------------------------------------------------------


def image_for(application: str, settings: KubeSettings) -> str:
    images = {str(k).lower(): v for k, v in settings.images.items()}
    image = images.get(application.lower())
    if not image:
        raise OptionsError(f"The application '{application}' is not installed on this hub (no image configured)")
    return image


def pod_plan(plan: LaunchPlan, settings: KubeSettings) -> PodPlan:
    app = resolve_application(plan, settings.applications)
    image = image_for(plan.application, settings)
    env = dict(app.env)
    if plan.modules:
        env["MODULEPATH"] = modulepath(settings.modules_root)
    env.update(_limit_env(plan.hardware))
    volumes, mounts = _storage(plan, settings)
    keys = secret_keys(plan)
    if plan.file_secrets:
        volumes.append({"name": SECRETS_VOLUME, "secret": secret_name(plan.hub_user, plan.server_name)})
        mounts.append({"name": SECRETS_VOLUME, "mountPath": secrets_folder(settings.home), "readOnly": True})
    return PodPlan(
        image=image,
        command=start_command(plan, settings, app.cmd),
        env=env,
        volumes=volumes,
        volume_mounts=mounts,
        default_url=app.default_url,
        resources=resources(plan.hardware),
        secret_env=keys["env"],
        secret_files=[{"key": key, "path": path} for path, key in keys["files"].items()],
        secret_name=secret_name(plan.hub_user, plan.server_name),
    )


def _storage(plan: LaunchPlan, settings: KubeSettings) -> tuple[list[dict], list[dict]]:
    """One datasets volume mounted once per dataset (subPath = its source
    folder) and one read-only modules volume."""
    volumes: list[dict] = []
    mounts: list[dict] = []
    if plan.datasets:
        volumes.append(_volume(DATASETS_VOLUME, settings.datasets_claim, settings.datasets_root))
        for mount, dataset in zip(dataset_mounts(plan, settings.datasets_root, settings.home), plan.datasets):
            mounts.append({"name": DATASETS_VOLUME, "mountPath": mount.target, "subPath": dataset.source,
                           "readOnly": not dataset.writable})
    if plan.modules:
        volumes.append(_volume(MODULES_VOLUME, settings.modules_claim, settings.modules_root, read_only=True))
        mounts.append({"name": MODULES_VOLUME, "mountPath": settings.modules_root, "readOnly": True})
    return volumes, mounts


def _volume(name: str, claim: str | None, host_path: str, read_only: bool = False) -> dict:
    if claim:
        return {"name": name, "persistentVolumeClaim": {"claimName": claim, "readOnly": read_only}}
    return {"name": name, "hostPath": {"path": host_path, "type": "Directory"}}


def cpu_quantity(cores: float) -> str:
    """Whole cores as "2", fractions in millicores ("500m"), rounded up."""
    millis = max(1, math.ceil(round(cores * 1000, 6)))
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def resources(hardware: Hardware) -> dict[str, str]:
    res: dict[str, str] = {}
    if hardware.cpu is not None:
        res["cpu"] = cpu_quantity(hardware.cpu)
    if hardware.memory is not None:
        res["memory"] = str(hardware.memory)
    if hardware.gpu:
        res[GPU_RESOURCE] = str(hardware.gpu)
    return res


def _limit_env(hardware: Hardware) -> dict[str, str]:
    """What JupyterHub exports for its own limits (jupyter-resource-usage reads them)."""
    env: dict[str, str] = {}
    if hardware.cpu is not None:
        env["CPU_LIMIT"] = env["CPU_GUARANTEE"] = str(float(hardware.cpu))
    if hardware.memory is not None:
        env["MEM_LIMIT"] = env["MEM_GUARANTEE"] = str(hardware.memory)
    return env


def start_command(plan: LaunchPlan, settings: KubeSettings, cmd) -> list[str]:
    """``bash -c <script> nbhub-start <server cmd>``: source Lmod, load the
    modules in the plan's order (failing loudly), then exec the server ("$@")."""
    q = shlex.quote
    lines = ["set -e"]
    if plan.modules:
        lines.append(f". {q(settings.lmod_init)}")
        for name in module_loads(plan):
            lines.append(f"module load {q(name)} || {{ echo {q(f'module {name} could not be loaded')} >&2; exit 1; }}")
    lines.append('exec "$@"')
    return ["/bin/bash", "-c", "\n".join(lines) + "\n", "nbhub-start", *cmd]


# --------------------------------------------------------------------------
# The server's Secret (pure)
# --------------------------------------------------------------------------


def secret_name(hub_user: str, server_name: str) -> str:
    """``nbhub-`` + 40 hex characters of sha256 over [user, server]: a valid
    object name whatever the names hold, and one per server."""
    digest = hashlib.sha256(json.dumps([hub_user, server_name]).encode("utf-8")).hexdigest()
    return f"nbhub-{digest[:40]}"


def secret_keys(plan: LaunchPlan) -> dict[str, dict[str, str]]:
    """``{"env": {variable: key}, "files": {path: key}}``.  Variable names are
    valid Secret keys already (schema: shell identifiers); file paths are not
    (they hold '/'), so files are numbered in the plan's order."""
    env = {variable: f"env.{variable}" for secret in plan.env_secrets for variable in secret.variables}
    files = {secret.path: f"file.{index}" for index, secret in enumerate(plan.file_secrets)}
    return {"env": env, "files": files}


def secret_labels(plan: LaunchPlan) -> dict[str, str]:
    return {
        "app.kubernetes.io/managed-by": "notebooks-hub-spawner",
        "app.kubernetes.io/component": "server-secrets",
        # Label values cannot hold e-mail addresses or spaces: the hash names the server.
        f"{LABEL_PREFIX}server": secret_name(plan.hub_user, plan.server_name)[len("nbhub-"):],
    }


def secret_manifest(plan: LaunchPlan) -> dict | None:
    """The server's Secret, or None when its plan has no secret."""
    if not plan.env_secrets and not plan.file_secrets:
        return None
    keys = secret_keys(plan)
    data: dict[str, str] = {}
    for secret in plan.env_secrets:
        for variable, value in secret.variables.items():
            data[keys["env"][variable]] = _b64(value)
    for secret in plan.file_secrets:
        data[keys["files"][secret.path]] = _b64(secret.content)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": secret_name(plan.hub_user, plan.server_name),
            "labels": secret_labels(plan),
            "annotations": {f"{LABEL_PREFIX}hub-user": plan.hub_user, f"{LABEL_PREFIX}server-name": plan.server_name},
        },
        "data": data,
    }


def _b64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status", None)
    return status if isinstance(status, int) else None


async def store_secret(k8s_api, namespace: str, name: str, manifest: dict | None) -> None:
    """The only writer of a server's Secret.  ``manifest`` None deletes it
    (already absent is fine); otherwise it is created, and one left by a
    start whose post_stop_hook never ran (409) is deleted and created again.
    ``k8s_api`` is the spawner's CoreV1Api (kubernetes_asyncio).  Errors name
    the HTTP status, never the response body."""

    async def delete() -> None:
        try:
            await k8s_api.delete_namespaced_secret(name, namespace)
        except Exception as exc:
            if _status(exc) != 404:
                raise SpawnError(f"Kubernetes refused to delete this server's secrets ({_why(exc)})") from None

    if manifest is None:
        await delete()
        return
    try:
        await k8s_api.create_namespaced_secret(namespace, manifest)
        return
    except Exception as exc:
        if _status(exc) != 409:
            raise SpawnError(f"Kubernetes refused to store this server's secrets ({_why(exc)})") from None
    await delete()
    try:
        await k8s_api.create_namespaced_secret(namespace, manifest)
    except Exception as exc:
        raise SpawnError(f"Kubernetes refused to store this server's secrets ({_why(exc)})") from None


def _why(exc: BaseException) -> str:
    status = _status(exc)
    return f"HTTP {status}" if status is not None else type(exc).__name__


# --------------------------------------------------------------------------
# Hooks
# --------------------------------------------------------------------------


def refuse_default_server(spawner) -> None:
    if not spawner.name:
        raise SpawnError(
            "The default (unnamed) server is disabled on this hub: "
            "start a named server from a Notebooks Hub template instead"
        )


async def prepare(spawner, settings: KubeSettings) -> LaunchPlan:
    """The pre_spawn_hook's work: the plan for this start, its Secret written."""
    setattr(spawner, PLAN_ATTRIBUTE, None)
    refuse_default_server(spawner)
    payload = await api.redeem_launch_ticket(
        settings.api_url, settings.spawner_token, spawner.user.name, spawner.name, spawner.user_options,
        limits_enforced=True, timeout=settings.api_timeout,
    )
    plan = parse_launch_plan(payload, spawner.user.name, spawner.name)
    pod = pod_plan(plan, settings)  # refuse what cannot be built before writing anything
    await store_secret(spawner.api, spawner.namespace, pod.secret_name, secret_manifest(plan))
    spawner.image = pod.image  # KubeSpawner's container image and JUPYTER_IMAGE
    if pod.default_url:
        spawner.default_url = pod.default_url  # JupyterHub passes it as JUPYTERHUB_DEFAULT_URL
    setattr(spawner, PLAN_ATTRIBUTE, plan)
    return plan


def make_pre_spawn_hook(settings: KubeSettings):
    async def pre_spawn_hook(spawner):
        await prepare(spawner, settings)
    return pre_spawn_hook


async def post_stop_hook(spawner) -> None:
    """Delete the server's Secret: its values live no longer than the server."""
    setattr(spawner, PLAN_ATTRIBUTE, None)
    await store_secret(spawner.api, spawner.namespace, secret_name(spawner.user.name, spawner.name), None)


def planned(spawner) -> LaunchPlan:
    """The plan the pre_spawn_hook kept for this very server, or a refusal."""
    refuse_default_server(spawner)
    plan = getattr(spawner, PLAN_ATTRIBUTE, None)
    if not isinstance(plan, LaunchPlan):
        raise SpawnError(api.NOT_FROM_THE_API)
    if (plan.hub_user, plan.server_name) != (spawner.user.name, spawner.name):
        raise SpawnError("The launch plan kept on this spawner is for another server")
    return plan


def _replace_env(existing, new_entries):
    names = {e.name for e in new_entries}
    return [e for e in (existing or []) if e.name not in names] + list(new_entries)


def modify_pod(spawner, pod, settings: KubeSettings):
    """Edit the notebook container of the pod KubeSpawner built, from the plan only."""
    plan = planned(spawner)
    p = pod_plan(plan, settings)
    container = _notebook_container(pod)
    if container.image != p.image:
        # The pre_spawn_hook set KubeSpawner's image from this plan: anything else is not this start.
        raise SpawnError("The pod KubeSpawner built does not run this server's application image")
    container.args = p.command + list(spawner.get_args())
    container.command = None  # the image's entrypoint (e.g. tini) stays in charge

    entries = [k8s.V1EnvVar(name=k, value=v) for k, v in p.env.items()]
    entries += [
        k8s.V1EnvVar(name=variable, value_from=k8s.V1EnvVarSource(
            secret_key_ref=k8s.V1SecretKeySelector(name=p.secret_name, key=key, optional=False)))
        for variable, key in p.secret_env.items()
    ]
    container.env = _replace_env(container.env, entries)

    container.volume_mounts = list(container.volume_mounts or []) + [
        k8s.V1VolumeMount(name=m["name"], mount_path=m["mountPath"], sub_path=m.get("subPath"), read_only=m["readOnly"])
        for m in p.volume_mounts
    ]
    pod.spec.volumes = list(pod.spec.volumes or []) + [_v1_volume(v, p) for v in p.volumes]

    if p.resources:
        current = container.resources or k8s.V1ResourceRequirements()
        container.resources = k8s.V1ResourceRequirements(
            limits={**(current.limits or {}), **p.resources},
            requests={**(current.requests or {}), **p.resources},
        )
    return pod


def _notebook_container(pod):
    for container in pod.spec.containers:
        if container.name == "notebook":
            return container
    raise SpawnError("The pod KubeSpawner built has no 'notebook' container")


def _v1_volume(volume: dict, p: PodPlan):
    if "secret" in volume:
        return k8s.V1Volume(name=volume["name"], secret=k8s.V1SecretVolumeSource(
            secret_name=volume["secret"], default_mode=SECRET_FILE_MODE, optional=False,
            items=[k8s.V1KeyToPath(key=f["key"], path=f["path"], mode=SECRET_FILE_MODE) for f in p.secret_files]))
    if "persistentVolumeClaim" in volume:
        pvc = volume["persistentVolumeClaim"]
        return k8s.V1Volume(name=volume["name"], persistent_volume_claim=k8s.V1PersistentVolumeClaimVolumeSource(
            claim_name=pvc["claimName"], read_only=pvc["readOnly"]))
    return k8s.V1Volume(name=volume["name"], host_path=k8s.V1HostPathVolumeSource(**volume["hostPath"]))


def make_modify_pod_hook(settings: KubeSettings):
    def modify_pod_hook(spawner, pod):
        return modify_pod(spawner, pod, settings)
    return modify_pod_hook


__all__ = [
    "KubeSettings", "PodPlan", "make_modify_pod_hook", "make_pre_spawn_hook",
    "modify_pod", "pod_plan", "post_stop_hook", "prepare", "resources", "secret_keys",
    "secret_manifest", "secret_name", "start_command", "store_secret",
]
