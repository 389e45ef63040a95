#!/usr/bin/env bash
# Installs the Debian packages that tests run for real, when they are missing:
# Lmod (generated modulefiles are loaded with `module load`), JupyterHub 3
# with local single-user servers (servers are spawned on a real hub), and
# pytest with the Kubernetes models and jsonschema for the spawner package.
set -euo pipefail

missing=()
[ -f /usr/share/lmod/lmod/init/bash ] || missing+=(lmod)
[ -x /usr/bin/jupyterhub ] || missing+=(jupyterhub)
[ -x /usr/bin/jupyterhub-singleuser ] || missing+=(python3-jupyter-server python3-notebook)
[ -d /usr/share/nodejs/configurable-http-proxy ] || missing+=(node-configurable-http-proxy)
# The hub side (hub/notebooks_hub_spawner): its pytest suite, and the
# Kubernetes models its KubeSpawner hook's pod fields are checked with.
/usr/bin/python3 -c 'import pytest' 2>/dev/null || missing+=(python3-pytest)
/usr/bin/python3 -c 'import kubernetes' 2>/dev/null || missing+=(python3-kubernetes)
# The spawner validates launch plans against their JSON Schema.
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null || missing+=(python3-jsonschema)

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages for the tests: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# FerretDB, the MongoDB-protocol server the suites run against a second time.
bash "$(dirname "${BASH_SOURCE[0]}")/ensure-ferretdb.sh"
