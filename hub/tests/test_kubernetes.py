"""The KubeSpawner translation, checked on kubernetes.client models."""

from types import SimpleNamespace

import pytest
from kubernetes.client import ApiClient, V1Container, V1ObjectMeta, V1Pod, V1PodSpec

from notebooks_hub_spawner import options as opt
from notebooks_hub_spawner.errors import OptionsError
from notebooks_hub_spawner.kubernetes import (KubeSettings, apply_to_kubespawner,
                                              make_modify_pod_hook, pod_plan)

D_RO = "11111111-1111-4111-8111-111111111111"
D_RW = "22222222-2222-4222-8222-222222222222"
M1 = "44444444-4444-4444-8444-444444444444"
S_ENV = "55555555-5555-4555-8555-555555555555"
S_RAW = "66666666-6666-4666-8666-666666666666"
V = "vault.hashicorp.com/"

OPTIONS = {
    "applicationType": "jupyterlab",
    "hardware": "gpu",
    "datasets": [{"id": D_RO, "name": "Raw reads", "write_access": False},
                 {"id": D_RW, "name": "out", "write_access": True}],
    "modules": [{"id": M1, "owner": "ann@lab.org", "name": "samtools", "version": "1.9",
                 "module_path": "ann@lab.org/samtools", "write_access": False}],
    "secrets": [{"id": S_ENV, "secretName": "DB creds", "type": "env_var", "secret_path": "kv/data/db"},
                {"id": S_RAW, "secretName": "key", "type": "raw", "secret_path": "kv/data/key",
                 "mount_path": "/home/jovyan/.secret/key.pem"}],
}


def settings(**over):
    base = dict(images={"jupyterlab": "lab:1", "notebook": "nb:1"},
                hardware=opt.parse_hardware([{"name": "gpu", "cpu": 2, "memory": "8G", "gpu": 1},
                                             {"name": "small", "cpu": 1}]),
                datasets_claim="datasets-pvc", modules_root="/opt/modules", vault_role="nbhub")
    base.update(over)
    return KubeSettings(**base)


def fake_spawner(user_options=OPTIONS):
    return SimpleNamespace(user_options=user_options, default_url="", get_args=lambda: ["--debug"],
                           volumes=[], volume_mounts=[], environment={"KEEP": "1"}, extra_annotations={},
                           extra_resource_limits={}, image="", cmd=["jupyterhub-singleuser"],
                           cpu_limit=None, cpu_guarantee=None, mem_limit=None, mem_guarantee=None)


def pod():
    return V1Pod(metadata=V1ObjectMeta(name="jupyter-ann", annotations={"existing": "x"}),
                 spec=V1PodSpec(containers=[V1Container(name="notebook", image="base:1",
                                                        args=["jupyterhub-singleuser"])]))


def test_modify_pod_hook_sets_every_field():
    spawner = fake_spawner()
    result = make_modify_pod_hook(settings())(spawner, pod())
    c = result.spec.containers[0]
    assert c.image == "lab:1"
    assert c.args[:2] == ["/bin/bash", "-c"] and c.args[3:] == ["nbhub-start", "jupyterhub-singleuser", "--debug"]
    script = c.args[2]
    assert ". /vault/secrets/db-creds" in script
    assert ". /usr/share/lmod/lmod/init/bash" in script and "module load ann@lab.org/samtools/1.9" in script
    assert script.rstrip().endswith('exec "$@"')
    assert spawner.default_url == "/lab"
    env = {e.name: e.value for e in c.env}
    assert env == {"JUPYTERHUB_SINGLEUSER_APP": "jupyter_server.serverapp.ServerApp",
                   "MODULEPATH": "/opt/modules/modulefiles"}
    mounts = {m.mount_path: m for m in c.volume_mounts}
    ro = mounts["/home/jovyan/datasets/Raw reads"]
    assert (ro.name, ro.sub_path, ro.read_only) == ("nbhub-datasets", D_RO, True)
    assert mounts["/home/jovyan/datasets/out"].read_only is False
    assert mounts["/opt/modules"].read_only is True
    volumes = {v.name: v for v in result.spec.volumes}
    assert volumes["nbhub-datasets"].persistent_volume_claim.claim_name == "datasets-pvc"
    assert volumes["nbhub-modules"].host_path.path == "/opt/modules"
    assert c.resources.limits == {"cpu": "2", "memory": str(8 * 1024**3), "nvidia.com/gpu": "1"}
    assert c.resources.requests == c.resources.limits
    a = result.metadata.annotations
    assert a["existing"] == "x"
    assert a[V + "agent-inject"] == "true" and a[V + "role"] == "nbhub"
    assert a[V + "agent-inject-secret-db-creds"] == "kv/data/db"
    assert a[V + "agent-inject-secret-key"] == "kv/data/key"
    assert a[V + "secret-volume-path-key"] == "/home/jovyan/.secret"
    assert a[V + "agent-inject-file-key"] == "key.pem"
    assert a[V + "agent-inject-perms-key"] == "0600"
    template = a[V + "agent-inject-template-db-creds"]
    assert 'with secret "kv/data/db"' in template and "range $k, $v := .Data.data" in template
    assert "export {{ $k }}='{{ $v | replaceAll \"'\" \"'\\\\''\" }}'" in template
    assert "JUPYTERHUB_.*" in template and "PATH" in template
    assert ".Data.data.value" in a[V + "agent-inject-template-key"]


def test_serialised_pod_shape():
    result = make_modify_pod_hook(settings(datasets_claim=None, datasets_root="/srv/datasets"))(fake_spawner(), pod())
    doc = ApiClient().sanitize_for_serialization(result)
    container = doc["spec"]["containers"][0]
    assert container["image"] == "lab:1"
    assert {"name": "nbhub-datasets", "mountPath": "/home/jovyan/datasets/Raw reads",
            "subPath": D_RO, "readOnly": True} in container["volumeMounts"]
    assert {"name": "nbhub-datasets", "hostPath": {"path": "/srv/datasets", "type": "Directory"}} in doc["spec"]["volumes"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert doc["metadata"]["annotations"]["vault.hashicorp.com/agent-inject"] == "true"
    assert "command" not in container


def test_apply_to_kubespawner_traits():
    spawner = fake_spawner()
    apply_to_kubespawner(spawner, settings())
    assert spawner.image == "lab:1"
    assert spawner.cmd[-1] == "jupyterhub-singleuser"
    assert spawner.environment["KEEP"] == "1" and spawner.environment["MODULEPATH"] == "/opt/modules/modulefiles"
    assert {"name": "nbhub-datasets", "persistentVolumeClaim": {"claimName": "datasets-pvc", "readOnly": False}} in spawner.volumes
    assert {"name": "nbhub-datasets", "mountPath": "/home/jovyan/datasets/out", "subPath": D_RW, "readOnly": False} in spawner.volume_mounts
    assert (spawner.cpu_limit, spawner.cpu_guarantee) == (2.0, 2.0)
    assert spawner.mem_limit == spawner.mem_guarantee == 8 * 1024**3
    assert spawner.extra_resource_limits == {"nvidia.com/gpu": "1"}
    assert spawner.extra_annotations[V + "role"] == "nbhub"


def test_no_secret_values_anywhere():
    """The hook never sees values: env holds no secret variables."""
    plan = pod_plan(OPTIONS, settings())
    assert "DB" not in "".join(plan.env)


def test_plain_server_has_no_extras():
    plan = pod_plan({"applicationType": "notebook", "hardware": "small"}, settings())
    assert plan.volumes == [] and plan.annotations == {} and plan.gpu is None
    assert plan.command == ["/bin/bash", "-c", 'set -e\nexec "$@"\n', "nbhub-start", "jupyterhub-singleuser"]
    assert (plan.cpu, plan.memory) == (1.0, None)


def test_unknown_application_and_image():
    with pytest.raises(OptionsError, match="'vscode' is not installed on this hub"):
        pod_plan({"applicationType": "vscode"}, settings())
    with pytest.raises(OptionsError, match="'notebook' is not installed on this hub \\(no image"):
        pod_plan({"applicationType": "notebook"}, settings(images={}))


def test_colliding_vault_names_are_disambiguated():
    options = {"applicationType": "notebook", "secrets": [
        {"id": S_ENV, "secretName": "db", "type": "env_var", "secret_path": "a"},
        {"id": S_RAW, "secretName": "DB", "type": "env_var", "secret_path": "b"}]}
    annotations = pod_plan(options, settings()).annotations
    assert annotations[V + "agent-inject-secret-db-55555555"] == "a"
    assert annotations[V + "agent-inject-secret-db-66666666"] == "b"


def test_settings_come_from_the_hub_environment(tmp_path):
    hardware = tmp_path / "hardware.json"
    hardware.write_text('[{"name": "small", "description": "1 CPU", "cpu": 1, "memory": "2G"}]')
    settings = KubeSettings.from_env({
        "NOTEBOOKS_HUB_IMAGES": '{"JupyterLab": "quay.io/jupyter/scipy-notebook:2025-01-01"}',
        "HARDWARE_FILE": str(hardware),
        "DATASETS_ROOT": "/srv/datasets",
        "NOTEBOOKS_HUB_DATASETS_CLAIM": "datasets",
        "MODULES_ROOT": "/srv/modules",
        "NOTEBOOKS_HUB_VAULT_ROLE": "hub",
    })
    assert settings.images == {"jupyterlab": "quay.io/jupyter/scipy-notebook:2025-01-01"}
    assert settings.hardware["small"].memory == 2 * 1024**3
    assert (settings.datasets_root, settings.datasets_claim, settings.modules_root, settings.modules_claim) == (
        "/srv/datasets", "datasets", "/srv/modules", None)
    assert settings.vault_role == "hub"
    plan = pod_plan({"applicationType": "JupyterLab", "hardware": "small"}, settings)
    assert plan.image == "quay.io/jupyter/scipy-notebook:2025-01-01"


def test_settings_refuse_images_that_are_not_a_json_object():
    with pytest.raises(OptionsError, match="NOTEBOOKS_HUB_IMAGES"):
        KubeSettings.from_env({"NOTEBOOKS_HUB_IMAGES": '["x"]'})
