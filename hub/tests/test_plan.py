"""The launch plan: parsed against the contract file both languages share,
and what it means inside a server (mounts, modules, application, secrets)."""

import copy

import pytest

from helpers import D_RO, D_RW, ENV_SECRET, RAW_SECRET, launch_plan
from notebooks_hub_spawner import plan as lp
from notebooks_hub_spawner.errors import OptionsError


def parse(payload, user="ann@lab.org", server="my-work"):
    return lp.parse_launch_plan(payload, user, server)


def refusal(payload) -> str:
    with pytest.raises(OptionsError) as caught:
        parse(payload)
    message = str(caught.value)
    assert ENV_SECRET not in message and RAW_SECRET not in message
    return message


def test_a_full_plan_parses():
    plan = parse(launch_plan())
    assert plan.hardware == lp.Hardware("small", 0.5, 256 * 1024 * 1024, None)
    assert [(d.folder, d.writable) for d in plan.datasets] == [("Read only", False), ("rw", True)]
    assert [m.load_name for m in plan.modules] == ["ann@lab.org/hello/1.0"]
    assert lp.secret_environment(plan) == {"DB_PASS": ENV_SECRET}
    assert [(f.path, f.content) for f in plan.file_secrets] == [("ssh/key.pem", RAW_SECRET)]


def test_secret_values_never_show_in_reprs():
    text = repr(parse(launch_plan()))
    assert ENV_SECRET not in text and RAW_SECRET not in text


def test_a_plan_for_another_server_is_refused():
    assert "another server" in refusal(launch_plan(server="other"))
    assert "another server" in refusal(launch_plan(user="bob@lab.org"))


@pytest.mark.parametrize("variable", ["BASH_ENV", "ENV", "LD_PRELOAD", "LD_AUDIT", "PYTHONSTARTUP", "NODE_OPTIONS",
                                      "PATH", "HOME", "JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN", "NBHUB_K", "BASH_FUNC_x%%", "A-B"])
def test_forbidden_variables_break_the_contract(variable):
    payload = launch_plan()
    payload["secrets"][0]["variables"] = {variable: "x"}
    assert "plan.secrets[0]" in refusal(payload)


@pytest.mark.parametrize("path", ["/etc/passwd", "../x", "a/../b", "./a", "a//b", ".", "~/.aws/credentials"])
def test_secret_files_stay_in_the_secrets_folder(path):
    payload = launch_plan()
    payload["secrets"][1]["path"] = path
    assert "plan.secrets[1]" in refusal(payload)


@pytest.mark.parametrize("mutate, where", [
    (lambda p: p.update(extra=1), "plan"),
    (lambda p: p["datasets"][0].update(source="../etc"), "plan.datasets[0].source"),
    (lambda p: p["datasets"][0].update(access="admin"), "plan.datasets[0].access"),
    (lambda p: p["modules"][0].update(name="../x"), "plan.modules[0].name"),
    (lambda p: p.update(filePath="/etc/passwd"), "plan.filePath"),
    (lambda p: p.update(filePath="a/../../b"), "plan.filePath"),
    (lambda p: p["hardware"].update(cpu=-1), "plan.hardware"),
    (lambda p: p.update(application="x; rm -rf /"), "plan.application"),
])
def test_malformed_plans_name_the_field(mutate, where):
    payload = copy.deepcopy(launch_plan())
    mutate(payload)
    assert where in refusal(payload)


def test_duplicates_are_refused():
    payload = launch_plan()
    payload["datasets"].append(dict(payload["datasets"][0]))
    assert "listed twice" in refusal(payload)
    payload = launch_plan()
    payload["secrets"].append({"id": D_RW, "secretName": "again", "type": "env_var", "variables": {"DB_PASS": "x"}})
    assert "both set DB_PASS" in refusal(payload)
    payload = launch_plan()
    payload["secrets"].append({"id": D_RW, "secretName": "under", "type": "raw", "path": "ssh/key.pem/x", "content": ""})
    assert "clashes" in refusal(payload)


def test_dataset_mounts_follow_the_access_level():
    mounts = lp.dataset_mounts(parse(launch_plan()), "/srv/datasets", "/home/ann")
    assert mounts == [
        lp.Mount(f"/srv/datasets/{D_RO}", "/home/ann/datasets/Read only", True),
        lp.Mount(f"/srv/datasets/{D_RW}", "/home/ann/datasets/rw", False),
    ]


def test_colliding_dataset_names_get_their_id_whatever_the_order():
    payload = launch_plan()
    payload["datasets"][1]["name"] = "Read only"
    folders = {d.id: d.folder for d in parse(payload).datasets}
    payload["datasets"].reverse()
    assert {d.id: d.folder for d in parse(payload).datasets} == folders
    assert folders[D_RO] == f"Read only-{D_RO[:8]}"


def test_dataset_names_become_single_safe_folders():
    payload = launch_plan()
    payload["datasets"][0]["name"] = "a/b"
    payload["datasets"][1]["name"] = "é" * 200
    folders = [d.folder for d in parse(payload).datasets]
    assert folders[0] == "a_b" and len(folders[1].encode()) <= 255


def test_application_is_matched_case_insensitively_and_opens_the_file():
    payload = launch_plan(application="JupyterLab", filePath="work/a b.ipynb")
    app = lp.resolve_application(parse(payload), lp.DEFAULT_APPLICATIONS)
    assert app.cmd == ("jupyterhub-singleuser",)
    assert app.default_url == "/lab/tree/work/a%20b.ipynb"


def test_an_application_the_hub_lacks_is_named():
    with pytest.raises(OptionsError, match="'RStudio' is not installed on this hub"):
        lp.resolve_application(parse(launch_plan(application="RStudio")), lp.DEFAULT_APPLICATIONS)
    with pytest.raises(OptionsError, match="not installed"):
        lp.resolve_application(parse(launch_plan()), lp.DEFAULT_APPLICATIONS, lambda spec: False)


def test_no_hardware_means_no_limits():
    assert parse(launch_plan(hardware=None)).hardware.limited is False
