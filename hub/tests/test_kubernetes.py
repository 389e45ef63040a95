"""The KubeSpawner hooks, on kubernetes.client models, a fake spawner and a
loopback double of the API's launch endpoint (no cluster, no kubespawner)."""

import asyncio
import base64
import copy
import json
import re
from types import SimpleNamespace

import pytest
from kubernetes.client import (ApiClient, V1Container, V1EnvVar, V1ObjectMeta, V1Pod, V1PodSpec,
                               V1ResourceRequirements, V1Secret, V1Volume, V1VolumeMount)

from api_double import LaunchApi
from notebooks_hub_spawner import api
from notebooks_hub_spawner.errors import OptionsError, SpawnError
from notebooks_hub_spawner.kubernetes import (PLAN_ATTRIBUTE, KubeSettings, cpu_quantity,
                                              make_modify_pod_hook, make_pre_spawn_hook, modify_pod,
                                              post_stop_hook, secret_manifest, secret_name, store_secret)
from notebooks_hub_spawner.plan import parse_launch_plan

TOKEN = "spawner-token-k8s"
TICKET = "T" * 32
USER, SERVER = "ann@lab.org", "my work"
D_RO = "11111111-1111-4111-8111-111111111111"
D_RW = "22222222-2222-4222-8222-222222222222"
SRC_RO = "aaaaaaaa-1111-4111-8111-111111111111"
SRC_RW = "bbbbbbbb-2222-4222-8222-222222222222"
M1 = "44444444-4444-4444-8444-444444444444"
S_ENV = "55555555-5555-4555-8555-555555555555"
S_RAW = "66666666-6666-4666-8666-666666666666"
DB_PASS = "s3cr3t-env-VALUE"
DB_USER = "reader-of-Xyzzy"
RAW = "-----BEGIN s3cr3t RAW-----\nline two\n"
NAMESPACE = "notebooks-hub"

PLAN = {
    "hubUser": USER,
    "serverName": SERVER,
    "owner": USER,
    "application": "JupyterLab",
    "filePath": "analysis/run 1.ipynb",
    "hardware": {"name": "gpu", "cpu": 2, "memory": 8 * 1024**3, "gpu": 1},
    "datasets": [{"id": D_RO, "name": "Raw reads", "source": SRC_RO, "access": "read"},
                 {"id": D_RW, "name": "out", "source": SRC_RW, "access": "write"}],
    "modules": [{"id": M1, "owner": "ann@lab.org", "name": "samtools", "version": "1.9"}],
    "secrets": [{"id": S_ENV, "secretName": "DB creds", "type": "env_var",
                 "variables": {"DB_PASS": DB_PASS, "DB_USER": DB_USER}},
                {"id": S_RAW, "secretName": "key", "type": "raw", "path": "ssh/key.pem", "content": RAW}],
}
PLAIN = {**PLAN, "application": "notebook", "filePath": None, "hardware": None,
         "datasets": [], "modules": [], "secrets": []}
del PLAIN["filePath"]
SECRET_VALUES = [DB_PASS, DB_USER, RAW, "s3cr3t", "Xyzzy", base64.b64encode(RAW.encode()).decode(),
                 base64.b64encode(DB_PASS.encode()).decode()]


class ApiError(Exception):
    """What kubernetes_asyncio raises: an HTTP status and a body (never to be quoted)."""

    def __init__(self, status):
        super().__init__(f"({status}) body: {DB_PASS}")
        self.status = status


class FakeCoreV1Api:
    """Records Secret calls; ``fail`` maps a call name to the statuses its next calls raise."""

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


def settings(**over):
    base = dict(images={"JupyterLab": "lab:1", "notebook": "nb:1"}, datasets_claim="datasets-pvc",
                modules_root="/opt/modules", api_url="http://127.0.0.1:9", spawner_token=TOKEN)
    base.update(over)
    return KubeSettings(**base)


def fake_spawner(user_options=None, name=SERVER, user=USER, k8s_api=None):
    return SimpleNamespace(user=SimpleNamespace(name=user), name=name,
                           user_options={"launchTicket": TICKET} if user_options is None else user_options,
                           default_url="", get_args=lambda: ["--debug"], namespace=NAMESPACE,
                           api=k8s_api or FakeCoreV1Api())


def kubespawner_pod():
    """A pod as KubeSpawner builds it, before the hook."""
    return V1Pod(
        metadata=V1ObjectMeta(name="jupyter-ann-40lab-2eorg--my-20work", annotations={"existing": "x"}),
        spec=V1PodSpec(
            containers=[V1Container(
                name="notebook", image="base:1", args=["jupyterhub-singleuser"],
                env=[V1EnvVar(name="JUPYTERHUB_API_TOKEN", value="hub-token"),
                     V1EnvVar(name="MEM_GUARANTEE", value="1073741824")],
                volume_mounts=[V1VolumeMount(name="home", mount_path="/home/jovyan", sub_path="ann@lab.org")],
                resources=V1ResourceRequirements(requests={"memory": "1073741824"}),
            )],
            volumes=[V1Volume(name="home")],
        ),
    )


def serialise(obj):
    return ApiClient().sanitize_for_serialization(obj)


def deserialise(data, klass):
    """ApiClient's own path from a JSON answer to a model (validates field types and required fields)."""
    return ApiClient().deserialize(SimpleNamespace(data=json.dumps(data)), klass)


def spawn(double_plan=PLAN, s=None, spawner=None, ticket_for=(USER, SERVER)):
    """Run the pre_spawn_hook against a double that minted TICKET for ``ticket_for``."""
    spawner = spawner or fake_spawner()
    with LaunchApi(TOKEN) as double:
        double.mint(TICKET, *ticket_for, double_plan)
        hook = make_pre_spawn_hook(s or settings(api_url=double.url))
        try:
            asyncio.run(hook(spawner))
        finally:
            spawner.double_requests = double.requests
    return spawner


def built_pod(plan=PLAN, s=None):
    s = s or settings()
    spawner = fake_spawner()
    setattr(spawner, PLAN_ATTRIBUTE, parse_launch_plan(plan, USER, SERVER))
    return spawner, make_modify_pod_hook(s)(spawner, kubespawner_pod())


# --------------------------------------------------------------------------
# The pod
# --------------------------------------------------------------------------


def test_the_pod_is_built_from_the_plan():
    _, pod = built_pod()
    c = pod.spec.containers[0]
    assert c.image == "lab:1"
    assert c.command is None
    assert c.args[:2] == ["/bin/bash", "-c"] and c.args[3:] == ["nbhub-start", "jupyterhub-singleuser", "--debug"]
    script = c.args[2]
    assert ". /usr/share/lmod/lmod/init/bash" in script and "module load ann@lab.org/samtools/1.9 ||" in script
    assert script.rstrip().endswith('exec "$@"') and "vault" not in script

    env = {e.name: e for e in c.env}
    assert env["JUPYTERHUB_API_TOKEN"].value == "hub-token"  # KubeSpawner's entries stay
    assert "JUPYTERHUB_SINGLEUSER_APP" not in env  # JupyterLab is an extension of the one Jupyter Server
    assert env["MODULEPATH"].value == "/opt/modules/modulefiles"
    assert env["JUPYTERHUB_DEFAULT_URL"].value == "/lab/tree/analysis/run%201.ipynb"
    assert env["MEM_LIMIT"].value == env["MEM_GUARANTEE"].value == str(8 * 1024**3)
    assert env["CPU_LIMIT"].value == "2.0"
    assert [e.name for e in c.env].count("MEM_GUARANTEE") == 1

    mounts = {m.mount_path: m for m in c.volume_mounts}
    ro, rw = mounts["/home/jovyan/datasets/Raw reads"], mounts["/home/jovyan/datasets/out"]
    assert (ro.name, ro.sub_path, ro.read_only) == ("nbhub-datasets", SRC_RO, True)
    assert (rw.name, rw.sub_path, rw.read_only) == ("nbhub-datasets", SRC_RW, False)
    assert (mounts["/opt/modules"].name, mounts["/opt/modules"].read_only) == ("nbhub-modules", True)
    assert mounts["/home/jovyan"].sub_path == "ann@lab.org"
    assert [m.name for m in c.volume_mounts].count("nbhub-datasets") == 2

    volumes = {v.name: v for v in pod.spec.volumes}
    assert volumes["nbhub-datasets"].persistent_volume_claim.claim_name == "datasets-pvc"
    assert volumes["nbhub-datasets"].persistent_volume_claim.read_only is False
    assert volumes["nbhub-modules"].host_path.path == "/opt/modules"
    assert "home" in volumes

    expected = {"cpu": "2", "memory": str(8 * 1024**3), "nvidia.com/gpu": "1"}
    assert c.resources.limits == expected and c.resources.requests == expected
    assert pod.metadata.annotations == {"existing": "x"}  # no Vault annotation


def test_the_serialised_pod_is_a_valid_v1pod_without_any_secret_value():
    _, pod = built_pod(s=settings(datasets_claim=None, datasets_root="/srv/datasets"))
    doc = serialise(pod)
    assert isinstance(deserialise(doc, "V1Pod"), V1Pod)
    text = json.dumps(doc)
    for value in SECRET_VALUES:
        assert value not in text
    assert "vault.hashicorp.com" not in text
    container = doc["spec"]["containers"][0]
    assert {"name": "nbhub-datasets", "mountPath": "/home/jovyan/datasets/Raw reads",
            "subPath": SRC_RO, "readOnly": True} in container["volumeMounts"]
    assert {"name": "nbhub-datasets", "hostPath": {"path": "/srv/datasets", "type": "Directory"}} in doc["spec"]["volumes"]
    assert "command" not in container


def test_secrets_reach_the_container_by_reference_only():
    _, pod = built_pod()
    name = secret_name(USER, SERVER)
    c = pod.spec.containers[0]
    refs = {e.name: e.value_from.secret_key_ref for e in c.env if e.value_from}
    assert {k: (r.name, r.key, r.optional) for k, r in refs.items()} == {
        "DB_PASS": (name, "env.DB_PASS", False), "DB_USER": (name, "env.DB_USER", False)}
    assert all(e.value is None for e in c.env if e.name in refs)

    (volume,) = [v for v in pod.spec.volumes if v.name == "nbhub-secrets"]
    assert volume.secret.secret_name == name and volume.secret.optional is False
    assert volume.secret.default_mode == 0o440
    assert [(i.key, i.path, i.mode) for i in volume.secret.items] == [("file.0", "ssh/key.pem", 0o440)]
    (mount,) = [m for m in c.volume_mounts if m.name == "nbhub-secrets"]
    assert (mount.mount_path, mount.read_only, mount.sub_path) == ("/home/jovyan/.secrets", True, None)


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
    # The only place values live: nowhere as plain text in the manifest either.
    assert DB_PASS not in json.dumps(manifest) and RAW not in json.dumps(manifest)
    assert secret_manifest(parse_launch_plan(PLAIN, USER, SERVER)) is None


def test_secret_names_are_dns_safe_and_one_per_server():
    name = secret_name(USER, SERVER)
    assert re.fullmatch(r"nbhub-[0-9a-f]{40}", name) and name == secret_name(USER, SERVER)
    others = {secret_name("ann", "b c"), secret_name("ann b", "c"), secret_name(USER, "other"), secret_name("bob", SERVER)}
    assert name not in others and len(others) == 4


def test_a_plain_plan_adds_nothing_but_image_command_and_application_env():
    _, pod = built_pod(PLAIN)
    c = pod.spec.containers[0]
    assert c.image == "nb:1"
    assert c.args == ["/bin/bash", "-c", 'set -e\nexec "$@"\n', "nbhub-start", "jupyterhub-singleuser", "--debug"]
    assert [v.name for v in pod.spec.volumes] == ["home"]
    assert [m.name for m in c.volume_mounts] == ["home"]
    assert not any(e.value_from for e in c.env)
    # No hardware in the plan: what KubeSpawner set stays.
    assert c.resources.requests == {"memory": "1073741824"} and c.resources.limits is None


@pytest.mark.parametrize("application,image", [("jupyterlab", "lab:1"), ("JUPYTERLAB", "lab:1"), ("Notebook", "nb:1")])
def test_the_image_is_the_applications_whatever_the_case(application, image):
    _, pod = built_pod({**PLAIN, "application": application})
    assert pod.spec.containers[0].image == image


def test_cpu_quantities():
    assert [cpu_quantity(c) for c in (2, 0.5, 1.25, 0.0001, 1024)] == ["2", "500m", "1250m", "1m", "1024"]


def test_the_pod_hook_refuses_without_a_plan_for_this_server():
    spawner = fake_spawner()
    with pytest.raises(SpawnError, match="not started by the Notebooks Hub API"):
        modify_pod(spawner, kubespawner_pod(), settings())
    setattr(spawner, PLAN_ATTRIBUTE, parse_launch_plan({**PLAN, "serverName": "other"}, USER, "other"))
    with pytest.raises(SpawnError, match="for another server"):
        modify_pod(spawner, kubespawner_pod(), settings())
    default = fake_spawner(name="")
    with pytest.raises(SpawnError, match="default \\(unnamed\\) server is disabled"):
        modify_pod(default, kubespawner_pod(), settings())


# --------------------------------------------------------------------------
# pre_spawn_hook: the ticket, the API, the Secret
# --------------------------------------------------------------------------


def test_the_pre_spawn_hook_redeems_the_ticket_and_stores_the_secret():
    spawner = spawn()
    ((path, auth, body),) = spawner.double_requests
    assert path == "/hub/servers/ann%40lab.org/my%20work/launch"
    assert auth == f"Bearer {TOKEN}"
    assert body == {"launchTicket": TICKET, "limitsEnforced": True}
    plan = getattr(spawner, PLAN_ATTRIBUTE)
    assert (plan.hub_user, plan.server_name, plan.hardware.gpu) == (USER, SERVER, 1)
    assert spawner.default_url == "/lab/tree/analysis/run%201.ipynb"
    ((call, namespace, manifest),) = spawner.api.calls
    assert (call, namespace) == ("create", NAMESPACE)
    assert manifest == secret_manifest(plan)
    # The pod hook then builds from that plan.
    pod = make_modify_pod_hook(settings())(spawner, kubespawner_pod())
    assert pod.spec.containers[0].image == "lab:1"


def test_a_plan_without_secrets_removes_any_left_over_secret():
    spawner = spawn(PLAIN, spawner=fake_spawner(k8s_api=FakeCoreV1Api(delete=[404])))
    assert spawner.api.calls == [("delete", NAMESPACE, secret_name(USER, SERVER))]
    assert getattr(spawner, PLAN_ATTRIBUTE).application == "notebook"


@pytest.mark.parametrize("user_options", [
    {"datasets": [{"id": D_RW, "name": "out", "write_access": True}]},
    {"applicationType": "jupyterlab", "secrets": [{"id": S_ENV, "secret_path": "kv/data/bob"}]},
    {},
    {"launchTicket": "short"},
    {"launchTicket": TICKET, "datasets": [{"id": D_RW, "name": "out", "write_access": True}]},
    {"launchTicket": "U" * 32},  # well formed, but the API never minted it
])
def test_hand_made_user_options_get_no_server(user_options):
    spawner = fake_spawner(user_options)
    setattr(spawner, PLAN_ATTRIBUTE, parse_launch_plan(PLAN, USER, SERVER))  # a stale plan is forgotten
    with pytest.raises(SpawnError) as failure:
        spawn(spawner=spawner)
    assert str(failure.value) == api.NOT_FROM_THE_API
    assert failure.value.jupyterhub_message == api.NOT_FROM_THE_API
    assert spawner.api.calls == []
    assert getattr(spawner, PLAN_ATTRIBUTE) is None
    with pytest.raises(SpawnError, match="not started by the Notebooks Hub API"):
        modify_pod(spawner, kubespawner_pod(), settings())


@pytest.mark.parametrize("ticket_for,token", [
    ((USER, "other"), TOKEN),      # minted for another of ann's servers
    (("bob", SERVER), TOKEN),      # minted for bob's server of the same name
    ((USER, SERVER), "not-the-token"),
])
def test_a_ticket_for_another_server_or_a_wrong_spawner_token_is_refused(ticket_for, token):
    spawner = fake_spawner()
    with LaunchApi(TOKEN) as double:
        double.mint(TICKET, *ticket_for, {**PLAN, "hubUser": ticket_for[0], "serverName": ticket_for[1]})
        with pytest.raises(SpawnError, match="not started by the Notebooks Hub API"):
            asyncio.run(make_pre_spawn_hook(settings(api_url=double.url, spawner_token=token))(spawner))
        assert len(double.requests) == 1
    assert spawner.api.calls == [] and getattr(spawner, PLAN_ATTRIBUTE) is None


def test_a_plan_for_another_server_is_refused():
    spawner = fake_spawner()
    with pytest.raises(OptionsError, match="for another server"):
        spawn({**PLAN, "serverName": "someone else's"}, spawner=spawner)
    assert spawner.api.calls == [] and getattr(spawner, PLAN_ATTRIBUTE) is None


def test_a_plan_that_breaks_the_contract_or_cannot_be_built_writes_nothing():
    spawner = fake_spawner()
    with pytest.raises(OptionsError, match="breaks its contract"):
        spawn({**PLAN, "datasets": [{"id": D_RW, "name": "out", "source": "../etc", "access": "write"}]}, spawner=spawner)
    with pytest.raises(OptionsError, match="'vscode' is not installed"):
        spawn({**PLAN, "application": "vscode"}, spawner=spawner)
    with LaunchApi(TOKEN) as double:
        double.mint(TICKET, USER, SERVER, PLAN)
        with pytest.raises(OptionsError, match="no image configured"):
            asyncio.run(make_pre_spawn_hook(settings(api_url=double.url, images={"notebook": "nb:1"}))(spawner))
    assert spawner.api.calls == []


def test_the_default_server_is_refused_before_asking_the_api():
    spawner = fake_spawner(name="")
    with pytest.raises(SpawnError, match="default \\(unnamed\\) server is disabled"):
        spawn(spawner=spawner)
    assert spawner.double_requests == [] and spawner.api.calls == []


def test_an_unreachable_api_fails_the_start_with_a_sentence():
    spawner = fake_spawner()
    with pytest.raises(SpawnError, match="Could not fetch the launch plan of server 'my work'"):
        asyncio.run(make_pre_spawn_hook(settings(api_url="http://127.0.0.1:9", api_timeout=2))(spawner))
    assert spawner.api.calls == []


# --------------------------------------------------------------------------
# store_secret and post_stop_hook
# --------------------------------------------------------------------------


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


def test_the_post_stop_hook_deletes_the_secret_and_forgets_the_plan():
    spawner = spawn()
    asyncio.run(post_stop_hook(spawner))
    assert spawner.api.calls[-1] == ("delete", NAMESPACE, secret_name(USER, SERVER))
    assert getattr(spawner, PLAN_ATTRIBUTE) is None
    gone = fake_spawner(k8s_api=FakeCoreV1Api(delete=[404]))
    asyncio.run(post_stop_hook(gone))  # already absent: fine
    assert gone.api.calls == [("delete", NAMESPACE, secret_name(USER, SERVER))]


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
    _, pod = built_pod({**PLAIN, "application": "JupyterLab"}, s)
    assert pod.spec.containers[0].image == "quay.io/jupyter/scipy-notebook:2025-01-01"


def test_settings_refuse_bad_images_and_a_missing_api():
    api_env = {"NOTEBOOKS_HUB_API_URL": "http://api", "NOTEBOOKS_HUB_SPAWNER_TOKEN": TOKEN}
    with pytest.raises(OptionsError, match="NOTEBOOKS_HUB_IMAGES"):
        KubeSettings.from_env({**api_env, "NOTEBOOKS_HUB_IMAGES": '["x"]'})
    with pytest.raises(OptionsError, match="NOTEBOOKS_HUB_SPAWNER_TOKEN must be set"):
        KubeSettings.from_env({"NOTEBOOKS_HUB_API_URL": "http://api"})
    with pytest.raises(OptionsError, match="NOTEBOOKS_HUB_API_URL and NOTEBOOKS_HUB_SPAWNER_TOKEN"):
        KubeSettings.from_env({})
