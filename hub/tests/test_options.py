"""Unit tests of the user_options translation (notebooks_hub_spawner.options)."""

import json

import pytest

from notebooks_hub_spawner import options as opt
from notebooks_hub_spawner.errors import OptionsError

D1 = "11111111-1111-4111-8111-111111111111"
D2 = "22222222-2222-4222-8222-222222222222"
D3 = "33333333-3333-4333-8333-333333333333"
M1 = "44444444-4444-4444-8444-444444444444"
S1 = "55555555-5555-4555-8555-555555555555"
S2 = "66666666-6666-4666-8666-666666666666"


def base(**extra):
    return {"applicationType": "notebook", "hardware": "small", **extra}


def dataset(id_=D1, name="My data", write=False):
    return {"id": id_, "name": name, "write_access": write}


def module(**over):
    entry = {"id": M1, "owner": "ann@lab.org", "name": "samtools", "version": "1.9",
             "module_path": "ann@lab.org/samtools", "write_access": False}
    entry.update(over)
    return entry


def secret(id_=S1, name="db", kind="env_var", **over):
    entry = {"id": id_, "secretName": name, "type": kind, "secret_path": f"kv/{name}"}
    entry.update(over)
    return entry


def error(user_options) -> str:
    with pytest.raises(OptionsError) as info:
        opt.parse_user_options(user_options)
    assert isinstance(info.value, ValueError)
    return str(info.value)


# -- structure -----------------------------------------------------------------

def test_minimal_options_parse():
    parsed = opt.parse_user_options({"applicationType": "notebook"})
    assert parsed.application == "notebook"
    assert parsed.hardware is None and parsed.file_path is None
    assert parsed.datasets == parsed.modules == parsed.secrets == ()


@pytest.mark.parametrize("user_options, fragment", [
    ([], "must be a JSON object"),
    ({}, "'applicationType' must be a non-empty string"),
    ({"applicationType": 3}, "'applicationType' must be a non-empty string"),
    (base(extra=1), "unknown field(s): extra"),
    (base(datasets={}), "'datasets' must be a list"),
    (base(datasets=["x"]), "datasets[0] must be a JSON object"),
    (base(datasets=[{**dataset(), "path": "/etc"}]), "datasets[0] has unknown field(s): path"),
    (base(datasets=[dataset(id_="../etc")]), "'id' is not a UUID"),
    (base(datasets=[dataset(id_="{" + D1 + "}")]), "not a UUID in canonical form"),
    (base(datasets=[dataset(), dataset()]), "listed twice"),
    (base(datasets=[dataset(write="yes")]), "'write_access' must be true or false"),
    (base(datasets=[dataset(name="")]), "'name' must be a non-empty string"),
    (base(datasets=[dataset(name="a\x00b")]), "control characters"),
    (base(datasets=[dataset(name="a\nb")]), "control characters"),
    (base(datasets=[dataset(name="..")]), "cannot be used as a folder name"),
    (base(datasets=[dataset(name=".")]), "cannot be used as a folder name"),
    (base(filePath="/etc/passwd"), "'filePath' must be relative"),
    (base(filePath="a/../../b"), "without '..'"),
    (base(filePath=5), "'filePath' must be a string"),
    (base(modules=[module(owner="ann")]), "'owner' must be an e-mail address"),
    (base(modules=[module(owner="a/b@lab.org")]), "'owner' must be an e-mail address"),
    (base(modules=[module(name="../x")]), "'name' may only contain"),
    (base(modules=[module(version="..")]), "'version' may only contain"),
    (base(modules=[module(module_path="bob@lab.org/samtools")]), "'module_path' does not match"),
    (base(modules=[module(), module()]), "listed twice"),
    (base(secrets=[secret(kind="file")]), "'type' must be one of env_var, raw"),
    (base(secrets=[secret(value="x")]), "unknown field(s): value"),
    (base(secrets=[secret(mount_path="/home/x/.s/a")]), "only raw secrets have a 'mount_path'"),
    (base(secrets=[secret(kind="raw", mount_path="rel/a")]), "absolute file path"),
    (base(secrets=[secret(kind="raw", mount_path="/home/x/../../etc/a")]), "without '..'"),
    (base(secrets=[secret(kind="raw", mount_path="/home/x//a")]), "normalised"),
    (base(secrets=[secret(kind="raw", mount_path="/etc/a")]), "two levels deep"),
    (base(secrets=[secret(kind="raw", mount_path="/home/x/.s/")]), "absolute file path"),
    (base(secrets=[secret(), secret()]), "listed twice"),
])
def test_malformed_options_are_rejected(user_options, fragment):
    assert fragment in error(user_options)


def test_error_is_user_facing_for_jupyterhub():
    with pytest.raises(OptionsError) as info:
        opt.parse_user_options(base(extra=1))
    exc = info.value
    assert exc.jupyterhub_message == str(exc)
    assert exc.log_message % exc.args == str(exc)


# -- datasets --------------------------------------------------------------------

def test_dataset_mounts_and_read_only_flags():
    parsed = opt.parse_user_options(base(datasets=[dataset(D1, "Raw reads"), dataset(D2, "out", write=True)]))
    mounts = opt.dataset_mounts(parsed, "/srv/datasets", "/home/ann")
    assert mounts == [
        opt.Mount(f"/srv/datasets/{D1}", "/home/ann/datasets/Raw reads", True),
        opt.Mount(f"/srv/datasets/{D2}", "/home/ann/datasets/out", False),
    ]


def test_dataset_names_become_safe_folders():
    parsed = opt.parse_user_options(base(datasets=[dataset(D1, "a/b/../c"), dataset(D2, " ..x ")]))
    assert [d.folder for d in parsed.datasets] == ["a_b_.._c", "..x"]
    assert all("/" not in d.folder for d in parsed.datasets)


def test_long_dataset_names_are_cut_to_a_valid_folder_name():
    parsed = opt.parse_user_options(base(datasets=[dataset(name="é" * 300)]))
    assert len(parsed.datasets[0].folder.encode()) <= 255


def test_duplicate_names_are_disambiguated_whatever_the_order():
    entries = [dataset(D1, "data"), dataset(D2, "data"), dataset(D3, "other")]
    forward = opt.parse_user_options(base(datasets=entries))
    backward = opt.parse_user_options(base(datasets=list(reversed(entries))))
    folders = {d.id: d.folder for d in forward.datasets}
    assert folders == {D1: "data-11111111", D2: "data-22222222", D3: "other"}
    assert {d.id: d.folder for d in backward.datasets} == folders


def test_dataset_slash_collision_is_disambiguated():
    parsed = opt.parse_user_options(base(datasets=[dataset(D1, "a/b"), dataset(D2, "a_b")]))
    assert sorted(d.folder for d in parsed.datasets) == ["a_b-11111111", "a_b-22222222"]


# -- modules -----------------------------------------------------------------------

def test_modules_modulepath_and_load_names():
    parsed = opt.parse_user_options(base(modules=[module(), module(id="77777777-7777-4777-8777-777777777777", name="bwa", version="0.7.17", module_path=None)]))
    assert opt.modulepath("/srv/modules") == "/srv/modules/modulefiles"
    assert opt.module_loads(parsed) == ["ann@lab.org/samtools/1.9", "ann@lab.org/bwa/0.7.17"]
    assert opt.modulefile("/srv/modules", parsed.modules[0]) == "/srv/modules/modulefiles/ann@lab.org/samtools/1.9.lua"


# -- applications ------------------------------------------------------------------

def test_application_command_and_env():
    parsed = opt.parse_user_options(base())
    app = opt.resolve_application(parsed, opt.DEFAULT_APPLICATIONS)
    assert app.cmd == ("jupyterhub-singleuser",)
    assert app.env == {"JUPYTERHUB_SINGLEUSER_APP": "notebook.notebookapp.NotebookApp"}
    assert app.default_url == "/tree"
    lab = opt.resolve_application(opt.parse_user_options({"applicationType": "jupyterlab"}), opt.DEFAULT_APPLICATIONS)
    assert lab.env["JUPYTERHUB_SINGLEUSER_APP"] == "jupyter_server.serverapp.ServerApp"
    assert lab.default_url == "/lab"


def test_file_path_opens_the_file():
    parsed = opt.parse_user_options(base(filePath="work/my nb.ipynb"))
    assert opt.resolve_application(parsed, opt.DEFAULT_APPLICATIONS).default_url == "/notebooks/work/my%20nb.ipynb"


@pytest.mark.parametrize("app", ["vscode", "rstudio"])
def test_unknown_application_is_not_installed(app):
    with pytest.raises(OptionsError, match=f"The application '{app}' is not installed on this hub"):
        opt.resolve_application(opt.parse_user_options({"applicationType": app}), opt.DEFAULT_APPLICATIONS)


def test_uninstalled_application_is_not_installed():
    parsed = opt.parse_user_options({"applicationType": "jupyterlab"})
    with pytest.raises(OptionsError, match="'jupyterlab' is not installed on this hub"):
        opt.resolve_application(parsed, opt.DEFAULT_APPLICATIONS, lambda spec: False)


def test_application_without_cmd_is_a_config_error():
    parsed = opt.parse_user_options({"applicationType": "x"})
    with pytest.raises(OptionsError, match="no valid 'cmd'"):
        opt.resolve_application(parsed, {"x": {"cmd": []}})


# -- hardware ----------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2G", 2 * 1024**3), ("512M", 512 * 1024**2), ("1.5G", int(1.5 * 1024**3)),
    ("2Gi", 2 * 1024**3), ("2GB", 2 * 1024**3), ("100", 100), (4096, 4096), ("1T", 1024**4), ("8k", 8192),
])
def test_parse_memory(text, expected):
    assert opt.parse_memory(text) == expected


@pytest.mark.parametrize("bad", ["", "G", "2X", "-1G", "0", True, 1.5, None])
def test_parse_memory_rejects(bad):
    with pytest.raises(OptionsError):
        opt.parse_memory(bad)


HARDWARE = [
    {"name": "small", "description": "1 core", "cpu": 1, "memory": "2G"},
    {"name": "gpu", "cpu": 4.5, "memory": "16G", "gpu": 1},
    {"name": "free"},
]


def test_hardware_limits(tmp_path):
    path = tmp_path / "hardware.json"
    path.write_text(json.dumps(HARDWARE))
    table = opt.load_hardware(str(path))
    small = opt.hardware_limits(opt.parse_user_options(base()), table)
    assert (small.cpu, small.memory, small.gpu) == (1.0, 2 * 1024**3, None)
    gpu = opt.hardware_limits(opt.parse_user_options(base(hardware="gpu")), table)
    assert (gpu.cpu, gpu.memory, gpu.gpu) == (4.5, 16 * 1024**3, 1)
    free = opt.hardware_limits(opt.parse_user_options(base(hardware="free")), table)
    assert (free.cpu, free.memory, free.gpu) == (None, None, None)
    none = opt.hardware_limits(opt.parse_user_options({"applicationType": "notebook"}), table)
    assert none.memory is None


def test_unknown_hardware():
    table = opt.parse_hardware(HARDWARE)
    with pytest.raises(OptionsError, match="Unknown hardware 'huge' .*free, gpu, small"):
        opt.hardware_limits(opt.parse_user_options(base(hardware="huge")), table)


@pytest.mark.parametrize("entries, fragment", [
    ({}, "JSON list"),
    ([{"cpu": 1}], "'name' must be"),
    ([{"name": "a", "cpu": 0}], "positive number"),
    ([{"name": "a", "cpu": "1"}], "positive number"),
    ([{"name": "a", "cpu": True}], "positive number"),
    ([{"name": "a", "memory": "lots"}], "memory"),
    ([{"name": "a", "gpu": 1.5}], "whole number"),
    ([{"name": "a"}, {"name": "a"}], "defined twice"),
])
def test_bad_hardware_files(entries, fragment):
    with pytest.raises(OptionsError, match=fragment):
        opt.parse_hardware(entries)


def test_unreadable_or_invalid_hardware_file(tmp_path):
    with pytest.raises(OptionsError, match="cannot be read"):
        opt.load_hardware(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(OptionsError, match="not valid JSON"):
        opt.load_hardware(str(bad))
    assert opt.load_hardware("") == {}


# -- secrets -------------------------------------------------------------------------

SECRET_OPTIONS = base(secrets=[
    secret(S1, "db", "env_var"),
    secret(S2, "key", "raw", mount_path="/home/ann/.secret/key.pem"),
])
VALUES = [
    {"id": S1, "secretName": "db", "type": "env_var", "value": {"DB_USER": "u", "DB_PASS": "hunter2"}},
    {"id": S2, "secretName": "key", "type": "raw", "value": "-----KEY-----\n"},
]


def test_secret_environment_and_files():
    parsed = opt.parse_user_options(SECRET_OPTIONS)
    values, missing = opt.parse_secret_values(parsed, VALUES)
    assert missing == []
    assert opt.secret_environment(parsed, values) == {"DB_USER": "u", "DB_PASS": "hunter2"}
    files = opt.secret_files(parsed, values, "/home/ann")
    assert [(f.path, f.content) for f in files] == [("/home/ann/.secret/key.pem", "-----KEY-----\n")]
    assert "KEY" not in repr(files)  # content stays out of reprs (logs, test output)


def test_raw_secret_default_path():
    parsed = opt.parse_user_options(base(secrets=[secret(S2, "my/key", "raw")]))
    values, _ = opt.parse_secret_values(parsed, [{"id": S2, "type": "raw", "value": "v"}])
    assert opt.secret_files(parsed, values, "/home/ann")[0].path == "/home/ann/.secrets/my_key"


def test_missing_secret_is_reported_and_extra_ignored():
    parsed = opt.parse_user_options(SECRET_OPTIONS)
    other = {"id": "99999999-9999-4999-8999-999999999999", "type": "raw", "value": "x"}
    values, missing = opt.parse_secret_values(parsed, [VALUES[0], other])
    assert list(values) == [S1]
    assert [s.name for s in missing] == ["key"]


@pytest.mark.parametrize("name, fragment", [
    ("1ABC", "not a valid environment variable name"),
    ("A-B", "not a valid environment variable name"),
    ("PATH", "reserved by the hub"),
    ("JUPYTERHUB_API_TOKEN", "reserved by the hub"),
    ("JPY_API_TOKEN", "reserved by the hub"),
    ("NBHUB_RAW_SECRET_0", "reserved by the hub"),
])
def test_env_secret_names_are_checked(name, fragment):
    parsed = opt.parse_user_options(base(secrets=[secret()]))
    values, _ = opt.parse_secret_values(parsed, [{"id": S1, "type": "env_var", "value": {name: "topsecret"}}])
    with pytest.raises(OptionsError, match=fragment) as info:
        opt.secret_environment(parsed, values)
    assert "topsecret" not in str(info.value)


@pytest.mark.parametrize("item, fragment", [
    ({"id": S1, "type": "raw", "value": "topsecret"}, "the API gave type 'raw'"),
    ({"id": S1, "type": "env_var", "value": "topsecret"}, "must map names to strings"),
    ({"id": S1, "type": "env_var", "value": {"A": 1}}, "must map names to strings"),
    ({"id": S1, "type": "env_var", "value": {"A": "top\x00secret"}}, "NUL"),
])
def test_malformed_secret_values(item, fragment):
    parsed = opt.parse_user_options(base(secrets=[secret()]))
    with pytest.raises(OptionsError, match=fragment) as info:
        opt.parse_secret_values(parsed, [item])
    assert "topsecret" not in str(info.value)


def test_raw_value_must_be_text():
    parsed = opt.parse_user_options(base(secrets=[secret(kind="raw")]))
    with pytest.raises(OptionsError, match="raw value must be text"):
        opt.parse_secret_values(parsed, [{"id": S1, "type": "raw", "value": {"a": "b"}}])
    with pytest.raises(OptionsError, match="not a list"):
        opt.parse_secret_values(parsed, {"id": S1})


def test_two_secrets_setting_one_variable():
    parsed = opt.parse_user_options(base(secrets=[secret(S1, "a"), secret(S2, "b")]))
    values, _ = opt.parse_secret_values(parsed, [
        {"id": S1, "type": "env_var", "value": {"X": "1"}},
        {"id": S2, "type": "env_var", "value": {"X": "2"}},
    ])
    with pytest.raises(OptionsError, match="secrets 'a' and 'b' both set X"):
        opt.secret_environment(parsed, values)


def test_two_raw_secrets_at_one_path():
    parsed = opt.parse_user_options(base(secrets=[
        secret(S1, "a", "raw", mount_path="/home/x/.s/f"), secret(S2, "b", "raw", mount_path="/home/x/.s/f")]))
    values, _ = opt.parse_secret_values(parsed, [{"id": S1, "type": "raw", "value": "1"}, {"id": S2, "type": "raw", "value": "2"}])
    with pytest.raises(OptionsError, match="already uses /home/x/.s/f"):
        opt.secret_files(parsed, values, "/home/x")


@pytest.mark.parametrize("name", ["Notebook", "NOTEBOOK", "notebook"])
def test_application_names_match_whatever_their_case(name):
    parsed = opt.parse_user_options({"applicationType": name})
    assert opt.resolve_application(parsed, opt.DEFAULT_APPLICATIONS).env == {
        "JUPYTERHUB_SINGLEUSER_APP": "notebook.notebookapp.NotebookApp"
    }
