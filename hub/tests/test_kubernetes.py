"""The KubeSpawner hooks on KubeSpawner itself: a real ``kubespawner.KubeSpawner``
configured as zero-to-jupyterhub makes it from
deploy/kubernetes/zero-to-jupyterhub/values.yaml (hub.extraConfig wires the
hooks), started the way KubeSpawner starts a server up to the pod it would send
(pre_spawn_hook, ``get_pod_manifest()``, modify_pod_hook), and that pod checked
as the JSON the Kubernetes API server would get.  The ticket is redeemed at a
loopback double of the API's launch route.

No cluster runs here: KubeSpawner reads a kubeconfig naming a closed loopback
port, and the spawner's CoreV1Api is replaced by a double that records the
Secret calls (the only Kubernetes calls the hooks make)."""

import asyncio
import base64
import copy
import json
import os
import re
from types import SimpleNamespace

import pytest
import yaml
from jupyterhub.utils import maybe_future
from kubernetes_asyncio.client import ApiClient, V1Secret
from traitlets.config import Config

from api_double import LaunchApi
from helpers import make_spawner
from notebooks_hub_spawner import api
from notebooks_hub_spawner.errors import OptionsError, SpawnError
from notebooks_hub_spawner.kubernetes import (PLAN_ATTRIBUTE, KubeSettings, cpu_quantity, modify_pod,
                                              post_stop_hook, secret_manifest, secret_name, store_secret)
from notebooks_hub_spawner.plan import parse_launch_plan

VALUES = os.path.join(os.path.dirname(__file__), "..", "..", "deploy", "kubernetes", "zero-to-jupyterhub", "values.yaml")
TOKEN = "spawner-token-k8s"
TICKET = "T" * 32
USER, SERVER = "ann@lab.org", "my work"
D_RO = "11111111-1111-4111-8111-111111111111"
D_RW = "22222222-2222-4222-8222-222222222222"
SRC_RO = "aaaaaaaa-1111-4111-8111-111111111111"
SRC_RW = "bbbbbbbb-2222-4222-8222-222222222222"
M1 = "44444444-4444-4444-8444-444444444444"
M2 = "45454545-4545-4545-8545-454545454545"
S_ENV = "55555555-5555-4555-8555-555555555555"
S_RAW = "66666666-6666-4666-8666-666666666666"
DB_PASS = "s3cr3t-env-VALUE"
DB_USER = "reader-of-Xyzzy"
RAW = "-----BEGIN s3cr3t RAW-----\nline two\n"
NAMESPACE = "notebooks-hub"
GIB = 1024**3

PLAN = {
    "hubUser": USER,
    "serverName": SERVER,
    "owner": USER,
    "application": "JupyterLab",
    "filePath": "analysis/run 1.ipynb",
    "hardware": {"name": "gpu", "cpu": 2, "memory": 8 * GIB, "gpu": 1},
    "datasets": [{"id": D_RO, "name": "Raw reads", "source": SRC_RO, "access": "read"},
                 {"id": D_RW, "name": "out", "source": SRC_RW, "access": "write"}],
    "modules": [{"id": M1, "owner": "ann@lab.org", "name": "samtools", "version": "1.9"},
                {"id": M2, "owner": "bob@lab.org", "name": "velvet", "version": "1.2.10"}],
    "secrets": [{"id": S_ENV, "secretName": "DB creds", "type": "env_var",
                 "variables": {"DB_PASS": DB_PASS, "DB_USER": DB_USER}},
                {"id": S_RAW, "secretName": "key", "type": "raw", "path": "ssh/key.pem", "content": RAW}],
}
PLAIN = {**PLAN, "application": "notebook", "hardware": None, "datasets": [], "modules": [], "secrets": []}
del PLAIN["filePath"]
CPU_ONLY = {**PLAIN, "application": "JupyterLab", "hardware": {"name": "small", "cpu": 0.5, "memory": GIB // 2},
            "datasets": [PLAN["datasets"][0]]}
SECRET_VALUES = [DB_PASS, DB_USER, RAW, "s3cr3t", "Xyzzy", base64.b64encode(RAW.encode()).decode(),
                 base64.b64encode(DB_PASS.encode()).decode()]


class ApiError(Exception):
    """What kubernetes_asyncio raises: an HTTP status and a body (never to be quoted)."""

    def __init__(self, status):
        super().__init__(f"({status}) body: {DB_PASS}")
        self.status = status


class FakeCoreV1Api:
    """Double of KubeSpawner's CoreV1Api for the Secret calls (no cluster here):
    records them; ``fail`` maps a call name to the statuses its next calls raise."""

    def __init__(self, **fail):
        self.calls, self.fail = [], {k: list(v) for k, v in fail.items()}

    def _maybe_fail(self, name):
        if self.fail.get(name):
            raise ApiError(self.fail[name].pop(0))

    async def create_namespaced_secret(self, namespace, body):
        self.calls.append(("create", namespace, copy.deepcopy(body)))
        self._maybe_fail("create")

    async def delete_namespaced_secret(self, name, namespace):
        self.calls.append(("delete", namespace, name))
        self._maybe_fail("delete")


@pytest.fixture(scope="module", autouse=True)
def no_cluster(tmp_path_factory):
    """KubeSpawner loads a kubeconfig when it is created: one naming a closed port."""
    from kubernetes_asyncio.config import kube_config

    kubeconfig = tmp_path_factory.mktemp("kube") / "config"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "none",
        "clusters": [{"name": "none", "cluster": {"server": "https://127.0.0.1:9"}}],
        "users": [{"name": "none", "user": {"token": "no-cluster"}}],
        "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none", "namespace": NAMESPACE}}],
    }))
    # The client reads KUBECONFIG once, when it is imported.
    previous = kube_config.KUBE_CONFIG_DEFAULT_LOCATION
    kube_config.KUBE_CONFIG_DEFAULT_LOCATION = str(kubeconfig)
    yield
    kube_config.KUBE_CONFIG_DEFAULT_LOCATION = previous


def chart_config(monkeypatch, api_url, spawner_token=TOKEN, env=None) -> Config:
    """KubeSpawner's configuration as zero-to-jupyterhub 4.x's jupyterhub_config.py
    makes it from the values: the keys they set (singleuser uid, fsGid, image,
    static home storage), the chart defaults they keep (singleuser.cmd
    `jupyterhub-singleuser`, singleuser.memory.guarantee 1G), and hub.extraConfig
    run with hub.extraEnv in the environment.  The API's Service address is
    the double's, and the tokens the chart reads from the API's Secret are
    given here, as is ``env`` (what a hub configured otherwise has)."""
    with open(VALUES) as f:
        values = yaml.safe_load(f)
    single, hub = values["singleuser"], values["hub"]
    c = Config()
    c.KubeSpawner.namespace = NAMESPACE
    c.KubeSpawner.uid = single["uid"]
    c.KubeSpawner.fs_gid = single["fsGid"]
    c.KubeSpawner.image = f"{single['image']['name']}:{single['image']['tag']}"
    storage = single["storage"]
    assert storage["type"] == "static"
    c.KubeSpawner.volumes = [{"name": "home", "persistentVolumeClaim": {"claimName": storage["static"]["pvcName"]}}]
    c.KubeSpawner.volume_mounts = [{"mountPath": storage["homeMountPath"], "name": "home",
                                    "subPath": storage["static"]["subPath"]}]
    c.Spawner.cmd = ["jupyterhub-singleuser"]
    c.KubeSpawner.mem_guarantee = "1G"
    for name, value in hub["extraEnv"].items():
        if isinstance(value, str):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("NOTEBOOKS_HUB_API_URL", api_url)
    monkeypatch.setenv("NOTEBOOKS_HUB_SPAWNER_TOKEN", spawner_token)
    monkeypatch.setenv("NOTEBOOKS_HUB_API_SERVICE_TOKEN", "service-token")
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    c.JupyterHub.services = [{"name": "notebooks-hub-api"}]
    for code in hub["extraConfig"].values():
        exec(compile(code, "extraConfig", "exec"), {"c": c})
    return c


def kube_spawner(config, user=USER, name=SERVER, user_options=None, k8s_api=None):
    """A KubeSpawner as JupyterHub creates it for a named server (call within a running loop)."""
    from kubespawner import KubeSpawner

    spawner = make_spawner(KubeSpawner, config=config, user=user, server_name=name, user_options=user_options, ticket=TICKET)
    spawner.api = k8s_api or FakeCoreV1Api()
    spawner.api_token = "hub-token"
    return spawner


async def pod_manifest(spawner) -> dict:
    """What KubeSpawner's start sends as the pod: its hooks around get_pod_manifest()."""
    await maybe_future(spawner.run_pre_spawn_hook())
    pod = await spawner.get_pod_manifest()
    if spawner.modify_pod_hook:
        pod = await maybe_future(spawner.modify_pod_hook(spawner, pod))
    return ApiClient().sanitize_for_serialization(pod)


def start(monkeypatch, plan=PLAN, ticket_for=(USER, SERVER), k8s_api=None, env=None, **spawner_args):
    """Mint TICKET for ``ticket_for`` at the double, start a chart-configured
    KubeSpawner up to its pod; returns (spawner, pod JSON or the exception, requests)."""
    async def run(url):
        spawner = kube_spawner(chart_config(monkeypatch, url, env=env), k8s_api=k8s_api, **spawner_args)
        try:
            return spawner, await pod_manifest(spawner)
        except Exception as exc:  # noqa: BLE001 -- the caller checks which
            return spawner, exc

    with LaunchApi(TOKEN) as double:
        double.mint(TICKET, *ticket_for, plan)
        spawner, pod = asyncio.run(run(double.url))
        return spawner, pod, double.requests


def notebook(pod):
    (container,) = [c for c in pod["spec"]["containers"] if c["name"] == "notebook"]
    return container


def env_of(container):
    return {e["name"]: e for e in container["env"]}


# --------------------------------------------------------------------------
# KubeSpawner's pod, for each plan
# --------------------------------------------------------------------------


@pytest.mark.parametrize("application,image", [
    ("JupyterLab", "lab:4"), ("jupyterlab", "lab:4"), ("notebook", "nb:7"), ("NOTEBOOK", "nb:7")])
def test_the_image_is_the_applications_in_the_container_and_in_kubespawners_env(monkeypatch, application, image):
    images = '{"JupyterLab": "lab:4", "Notebook": "nb:7"}'  # one image each, unlike the example values
    _, pod, _ = start(monkeypatch, {**PLAIN, "application": application}, env={"NOTEBOOKS_HUB_IMAGES": images})
    c = notebook(pod)
    assert c["image"] == image
    env = env_of(c)
    assert env["JUPYTER_IMAGE"]["value"] == env["JUPYTER_IMAGE_SPEC"]["value"] == image


def test_modules_are_loaded_before_the_server_starts(monkeypatch):
    _, pod, _ = start(monkeypatch)
    c = notebook(pod)
    assert "command" not in c  # the image's entrypoint (tini) stays in charge
    args = c["args"]
    assert args[:2] == ["/bin/bash", "-c"] and args[3:5] == ["nbhub-start", "jupyterhub-singleuser"]
    script = args[2]
    assert script.splitlines() == [
        "set -e",
        ". /usr/share/lmod/lmod/init/bash",
        "module load ann@lab.org/samtools/1.9 || { echo 'module ann@lab.org/samtools/1.9 could not be loaded' >&2; exit 1; }",
        "module load bob@lab.org/velvet/1.2.10 || { echo 'module bob@lab.org/velvet/1.2.10 could not be loaded' >&2; exit 1; }",
        'exec "$@"',
    ]
    assert env_of(c)["MODULEPATH"]["value"] == "/opt/modules/modulefiles"
    # Without modules: nothing sourced, no MODULEPATH, the server exec'd all the same.
    _, plain, _ = start(monkeypatch, PLAIN)
    c = notebook(plain)
    assert c["args"][:5] == ["/bin/bash", "-c", 'set -e\nexec "$@"\n', "nbhub-start", "jupyterhub-singleuser"]
    assert "MODULEPATH" not in env_of(c)


def test_datasets_and_modules_are_mounted_from_their_claims_read_only_unless_written(monkeypatch):
    _, pod, _ = start(monkeypatch)
    c = notebook(pod)
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    assert mounts["/home/jovyan/datasets/Raw reads"] == {
        "name": "nbhub-datasets", "mountPath": "/home/jovyan/datasets/Raw reads", "subPath": SRC_RO, "readOnly": True}
    assert mounts["/home/jovyan/datasets/out"] == {
        "name": "nbhub-datasets", "mountPath": "/home/jovyan/datasets/out", "subPath": SRC_RW, "readOnly": False}
    assert mounts["/opt/modules"] == {"name": "nbhub-modules", "mountPath": "/opt/modules", "readOnly": True}
    # The chart's home, with KubeSpawner's own expansion of {unescaped_username}.
    assert mounts["/home/jovyan"] == {"name": "home", "mountPath": "/home/jovyan", "subPath": USER}
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["nbhub-datasets"] == {"name": "nbhub-datasets", "persistentVolumeClaim": {
        "claimName": "notebooks-hub-datasets", "readOnly": False}}
    assert volumes["nbhub-modules"] == {"name": "nbhub-modules", "persistentVolumeClaim": {
        "claimName": "notebooks-hub-modules", "readOnly": True}}
    assert volumes["home"] == {"name": "home", "persistentVolumeClaim": {"claimName": "notebooks-hub-homes"}}
    # Every mount names a volume of the pod, each volume once.
    assert {m["name"] for m in c["volumeMounts"]} <= set(volumes)
    assert len(volumes) == len(pod["spec"]["volumes"])

    _, plain, _ = start(monkeypatch, PLAIN)
    assert [v["name"] for v in plain["spec"]["volumes"]] == ["home"]
    assert [m["name"] for m in notebook(plain)["volumeMounts"]] == ["home"]
    _, one, _ = start(monkeypatch, CPU_ONLY)
    assert [(m["name"], m.get("readOnly")) for m in notebook(one)["volumeMounts"]] == [
        ("home", None), ("nbhub-datasets", True)]


def test_requests_equal_limits_for_cpu_memory_and_gpu(monkeypatch):
    _, pod, _ = start(monkeypatch)
    c = notebook(pod)
    expected = {"cpu": "2", "memory": str(8 * GIB), "nvidia.com/gpu": "1"}
    assert c["resources"] == {"limits": expected, "requests": expected}
    env = env_of(c)
    assert env["MEM_LIMIT"]["value"] == env["MEM_GUARANTEE"]["value"] == str(8 * GIB)
    assert env["CPU_LIMIT"]["value"] == env["CPU_GUARANTEE"]["value"] == "2.0"
    assert [e["name"] for e in c["env"]].count("MEM_GUARANTEE") == 1  # KubeSpawner's replaced, not doubled

    _, small, _ = start(monkeypatch, CPU_ONLY)
    expected = {"cpu": "500m", "memory": str(GIB // 2)}
    assert notebook(small)["resources"] == {"limits": expected, "requests": expected}
    # No hardware in the plan: the chart's guarantee (1G) stays, and no GPU.
    _, plain, _ = start(monkeypatch, PLAIN)
    assert notebook(plain)["resources"] == {"limits": {}, "requests": {"memory": GIB}}


def test_the_applications_environment_and_default_url(monkeypatch):
    _, pod, _ = start(monkeypatch)
    env = env_of(notebook(pod))
    assert "JUPYTERHUB_SINGLEUSER_APP" not in env  # JupyterLab is an extension of the one Jupyter Server
    # JupyterHub's own export of the spawner's default_url, set from the plan.
    assert env["JUPYTERHUB_DEFAULT_URL"]["value"] == "/lab/tree/analysis/run%201.ipynb"
    assert env["JUPYTERHUB_USER"]["value"] == USER and env["JUPYTERHUB_SERVER_NAME"]["value"] == SERVER
    assert env["JUPYTERHUB_API_TOKEN"]["value"] == "hub-token"
    _, plain, _ = start(monkeypatch, PLAIN)
    assert env_of(notebook(plain))["JUPYTERHUB_DEFAULT_URL"]["value"] == "/tree"


def test_secrets_reach_the_pod_by_reference_to_the_servers_secret_only(monkeypatch):
    spawner, pod, _ = start(monkeypatch)
    name = secret_name(USER, SERVER)
    c = notebook(pod)
    refs = {e["name"]: e for e in c["env"] if "valueFrom" in e}
    assert refs == {
        "DB_PASS": {"name": "DB_PASS", "valueFrom": {"secretKeyRef": {"name": name, "key": "env.DB_PASS", "optional": False}}},
        "DB_USER": {"name": "DB_USER", "valueFrom": {"secretKeyRef": {"name": name, "key": "env.DB_USER", "optional": False}}},
    }
    (volume,) = [v for v in pod["spec"]["volumes"] if v["name"] == "nbhub-secrets"]
    assert volume["secret"] == {"secretName": name, "defaultMode": 0o440, "optional": False,
                                "items": [{"key": "file.0", "path": "ssh/key.pem", "mode": 0o440}]}
    (mount,) = [m for m in c["volumeMounts"] if m["name"] == "nbhub-secrets"]
    assert mount == {"name": "nbhub-secrets", "mountPath": "/home/jovyan/.secrets", "readOnly": True}
    # The server's files are readable through the chart's fsGid (the secret files' group), never as root.
    assert pod["spec"]["securityContext"]["fsGroup"] == 100 and c["securityContext"]["runAsUser"] == 1000
    # The values are in the Secret the hook wrote, and nowhere in the pod.
    ((call, namespace, manifest),) = spawner.api.calls
    assert (call, namespace, manifest["metadata"]["name"]) == ("create", NAMESPACE, name)
    text = json.dumps(pod)
    for value in SECRET_VALUES:
        assert value not in text
    assert "vault.hashicorp.com" not in text  # no Vault agent: the values come in the plan


def test_a_plan_without_secrets_removes_any_left_over_secret_and_references_none(monkeypatch):
    spawner, pod, _ = start(monkeypatch, PLAIN, k8s_api=FakeCoreV1Api(delete=[404]))
    assert spawner.api.calls == [("delete", NAMESPACE, secret_name(USER, SERVER))]
    assert not any("valueFrom" in e for e in notebook(pod)["env"])
    assert "nbhub-secrets" not in json.dumps(pod)


def test_the_pre_spawn_hook_redeems_the_ticket_for_this_server(monkeypatch):
    spawner, _, requests = start(monkeypatch)
    ((path, auth, body),) = requests
    assert path == "/hub/servers/ann%40lab.org/my%20work/launch"
    assert auth == f"Bearer {TOKEN}"
    assert body == {"launchTicket": TICKET, "limitsEnforced": True}
    plan = getattr(spawner, PLAN_ATTRIBUTE)
    assert (plan.hub_user, plan.server_name, plan.hardware.gpu) == (USER, SERVER, 1)


# --------------------------------------------------------------------------
# Starts that get no pod
# --------------------------------------------------------------------------


@pytest.mark.parametrize("user_options", [
    {"datasets": [{"id": D_RW, "name": "out", "write_access": True}]},
    {"applicationType": "jupyterlab", "secrets": [{"id": S_ENV, "secret_path": "kv/data/bob"}]},
    {},
    {"launchTicket": "short"},
    {"launchTicket": TICKET, "datasets": [{"id": D_RW, "name": "out", "write_access": True}]},
    {"launchTicket": "U" * 32},  # well formed, but the API never minted it
])
def test_hand_made_user_options_get_no_pod(monkeypatch, user_options):
    spawner, failure, _ = start(monkeypatch, user_options=user_options)
    assert isinstance(failure, SpawnError) and str(failure) == api.NOT_FROM_THE_API
    assert failure.jupyterhub_message == api.NOT_FROM_THE_API
    assert spawner.api.calls == [] and getattr(spawner, PLAN_ATTRIBUTE) is None


@pytest.mark.parametrize("ticket_for", [(USER, "other"), ("bob", SERVER)])
def test_a_ticket_minted_for_another_server_gets_no_pod(monkeypatch, ticket_for):
    plan = {**PLAN, "hubUser": ticket_for[0], "serverName": ticket_for[1]}
    spawner, failure, requests = start(monkeypatch, plan, ticket_for=ticket_for)
    assert isinstance(failure, SpawnError) and "not started by the Notebooks Hub API" in str(failure)
    assert len(requests) == 1 and spawner.api.calls == []


def test_a_wrong_spawner_token_gets_no_pod(monkeypatch):
    async def run(url):
        spawner = kube_spawner(chart_config(monkeypatch, url, spawner_token="not-the-token"))
        with pytest.raises(SpawnError, match="not started by the Notebooks Hub API"):
            await pod_manifest(spawner)
        return spawner

    with LaunchApi(TOKEN) as double:
        double.mint(TICKET, USER, SERVER, PLAN)
        spawner = asyncio.run(run(double.url))
    assert spawner.api.calls == []


@pytest.mark.parametrize("plan,message", [
    ({**PLAN, "serverName": "someone else's"}, "for another server"),
    ({**PLAN, "datasets": [{"id": D_RW, "name": "out", "source": "../etc", "access": "write"}]}, "breaks its contract"),
    ({**PLAN, "application": "vscode"}, "'vscode' is not installed"),
])
def test_a_plan_that_is_not_for_this_server_or_cannot_be_built_writes_nothing(monkeypatch, plan, message):
    spawner, failure, _ = start(monkeypatch, plan)
    assert isinstance(failure, OptionsError) and message in str(failure)
    assert spawner.api.calls == [] and getattr(spawner, PLAN_ATTRIBUTE) is None


def test_the_default_server_is_refused_before_asking_the_api(monkeypatch):
    spawner, failure, requests = start(monkeypatch, name="")
    assert isinstance(failure, SpawnError) and "default (unnamed) server is disabled" in str(failure)
    assert requests == [] and spawner.api.calls == []


def test_an_unreachable_api_fails_the_start_with_a_sentence(monkeypatch):
    async def run():
        spawner = kube_spawner(chart_config(monkeypatch, "http://127.0.0.1:9"))
        with pytest.raises(SpawnError, match="Could not fetch the launch plan of server 'my work'"):
            await pod_manifest(spawner)
        return spawner

    assert asyncio.run(run()).api.calls == []


def test_the_pod_hook_builds_only_from_the_plan_kept_for_this_server(monkeypatch):
    """A pod hook without the pre_spawn_hook's plan (or with another server's,
    or after the image was changed behind it) refuses to build the pod."""
    async def run():
        spawner = kube_spawner(chart_config(monkeypatch, "http://127.0.0.1:9"))
        pod = await spawner.get_pod_manifest()
        with pytest.raises(SpawnError, match="not started by the Notebooks Hub API"):
            spawner.modify_pod_hook(spawner, pod)
        setattr(spawner, PLAN_ATTRIBUTE, parse_launch_plan({**PLAN, "serverName": "other"}, USER, "other"))
        with pytest.raises(SpawnError, match="for another server"):
            spawner.modify_pod_hook(spawner, pod)
        setattr(spawner, PLAN_ATTRIBUTE, parse_launch_plan(PLAN, USER, SERVER))
        spawner.image = "quay.io/jupyter/base-notebook:latest"  # changed after the pre_spawn_hook
        with pytest.raises(SpawnError, match="does not run this server's application image"):
            spawner.modify_pod_hook(spawner, await spawner.get_pod_manifest())

    asyncio.run(run())


# --------------------------------------------------------------------------
# The server's Secret, store_secret and the post_stop_hook
# --------------------------------------------------------------------------


def deserialise(data, klass):
    """The client's own path from a JSON answer to a model (field types and required fields)."""
    async def run():
        return ApiClient().deserialize(SimpleNamespace(data=json.dumps(data)), klass)

    return asyncio.run(run())


def test_the_secret_manifest_is_a_v1_secret_holding_each_value_once():
    plan = parse_launch_plan(PLAN, USER, SERVER)
    manifest = secret_manifest(plan)
    secret = deserialise(manifest, "V1Secret")
    assert isinstance(secret, V1Secret) and secret.kind == "Secret" and secret.type == "Opaque"
    assert secret.metadata.name == secret_name(USER, SERVER)
    decoded = {k: base64.b64decode(v).decode() for k, v in secret.data.items()}
    assert decoded == {"env.DB_PASS": DB_PASS, "env.DB_USER": DB_USER, "file.0": RAW}
    assert all(re.fullmatch(r"[-._a-zA-Z0-9]+", key) for key in secret.data)
    labels = secret.metadata.labels
    assert labels["app.kubernetes.io/managed-by"] == "notebooks-hub-spawner"
    assert labels["notebooks-hub.org/server"] == secret.metadata.name[len("nbhub-"):]
    assert all(re.fullmatch(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?", v) for v in labels.values())
    assert secret.metadata.annotations == {"notebooks-hub.org/hub-user": USER, "notebooks-hub.org/server-name": SERVER}
    assert DB_PASS not in json.dumps(manifest) and RAW not in json.dumps(manifest)
    assert secret_manifest(parse_launch_plan(PLAIN, USER, SERVER)) is None


def test_secret_names_are_dns_safe_and_one_per_server():
    name = secret_name(USER, SERVER)
    assert re.fullmatch(r"nbhub-[0-9a-f]{40}", name) and name == secret_name(USER, SERVER)
    others = {secret_name("ann", "b c"), secret_name("ann b", "c"), secret_name(USER, "other"), secret_name("bob", SERVER)}
    assert name not in others and len(others) == 4


def test_cpu_quantities():
    assert [cpu_quantity(c) for c in (2, 0.5, 1.25, 0.0001, 1024)] == ["2", "500m", "1250m", "1m", "1024"]


def manifest():
    return secret_manifest(parse_launch_plan(PLAN, USER, SERVER))


def test_an_existing_secret_is_deleted_and_created_again():
    k8s = FakeCoreV1Api(create=[409])
    name = secret_name(USER, SERVER)
    asyncio.run(store_secret(k8s, NAMESPACE, name, manifest()))
    assert [c[0] for c in k8s.calls] == ["create", "delete", "create"]
    assert k8s.calls[1] == ("delete", NAMESPACE, name) and k8s.calls[2][2] == manifest()


@pytest.mark.parametrize("fail,expected", [
    ({"create": [403]}, "refused to store this server's secrets \\(HTTP 403\\)"),
    ({"create": [409, 409]}, "refused to store this server's secrets \\(HTTP 409\\)"),
    ({"create": [409], "delete": [500]}, "refused to delete this server's secrets \\(HTTP 500\\)"),
])
def test_kubernetes_errors_name_the_status_never_the_body(fail, expected):
    with pytest.raises(SpawnError, match=expected) as failure:
        asyncio.run(store_secret(FakeCoreV1Api(**fail), NAMESPACE, secret_name(USER, SERVER), manifest()))
    assert DB_PASS not in str(failure.value) and failure.value.__cause__ is None


def test_the_post_stop_hook_deletes_the_secret_and_forgets_the_plan(monkeypatch):
    spawner, _, _ = start(monkeypatch)
    assert spawner.post_stop_hook is post_stop_hook

    async def stop():
        await maybe_future(spawner.run_post_stop_hook())

    asyncio.run(stop())
    assert spawner.api.calls[-1] == ("delete", NAMESPACE, secret_name(USER, SERVER))
    assert getattr(spawner, PLAN_ATTRIBUTE) is None

    async def already_gone():
        gone = kube_spawner(chart_config(monkeypatch, "http://127.0.0.1:9"), k8s_api=FakeCoreV1Api(delete=[404]))
        await post_stop_hook(gone)
        return gone

    assert asyncio.run(already_gone()).api.calls == [("delete", NAMESPACE, secret_name(USER, SERVER))]


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


def test_settings_come_from_the_hub_environment():
    s = KubeSettings.from_env({
        "NOTEBOOKS_HUB_IMAGES": '{"JupyterLab": "quay.io/jupyter/scipy-notebook:2025-01-01"}',
        "DATASETS_ROOT": "/srv/datasets",
        "NOTEBOOKS_HUB_DATASETS_CLAIM": "datasets",
        "MODULES_ROOT": "/srv/modules",
        "NOTEBOOKS_HUB_API_URL": "http://notebooks-hub-api",
        "NOTEBOOKS_HUB_SPAWNER_TOKEN": TOKEN,
    })
    assert s.images == {"jupyterlab": "quay.io/jupyter/scipy-notebook:2025-01-01"}
    assert (s.datasets_root, s.datasets_claim, s.modules_root, s.modules_claim) == (
        "/srv/datasets", "datasets", "/srv/modules", None)
    assert (s.api_url, s.spawner_token) == ("http://notebooks-hub-api", TOKEN)
    assert TOKEN not in repr(s)


def test_without_claims_datasets_and_modules_come_from_host_paths(monkeypatch):
    _, pod, _ = start(monkeypatch, env={"NOTEBOOKS_HUB_DATASETS_CLAIM": "", "NOTEBOOKS_HUB_MODULES_CLAIM": ""})
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["nbhub-datasets"] == {"name": "nbhub-datasets", "hostPath": {"path": "/opt/datasets", "type": "Directory"}}
    assert volumes["nbhub-modules"] == {"name": "nbhub-modules", "hostPath": {"path": "/opt/modules", "type": "Directory"}}


def test_settings_refuse_bad_images_and_a_missing_api():
    api_env = {"NOTEBOOKS_HUB_API_URL": "http://api", "NOTEBOOKS_HUB_SPAWNER_TOKEN": TOKEN}
    with pytest.raises(OptionsError, match="NOTEBOOKS_HUB_IMAGES"):
        KubeSettings.from_env({**api_env, "NOTEBOOKS_HUB_IMAGES": '["x"]'})
    with pytest.raises(OptionsError, match="NOTEBOOKS_HUB_SPAWNER_TOKEN must be set"):
        KubeSettings.from_env({"NOTEBOOKS_HUB_API_URL": "http://api"})
    with pytest.raises(OptionsError, match="NOTEBOOKS_HUB_API_URL and NOTEBOOKS_HUB_SPAWNER_TOKEN"):
        KubeSettings.from_env({})
