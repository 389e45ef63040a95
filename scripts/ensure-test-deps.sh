#!/usr/bin/env bash
# Installs what tests run for real, when it is missing: Lmod from Debian
# (generated modulefiles are loaded with `module load`), and the hub side's
# Python environment from PyPI (JupyterHub 5 with JupyterLab and Notebook,
# oauthenticator, the spawner package and its test libraries; see
# scripts/ensure-python-env.sh). configurable-http-proxy comes from npm (a
# dev dependency). Chromium from Debian drives the launcher's browser tests.
set -euo pipefail

missing=()
[ -f /usr/share/lmod/lmod/init/bash ] || missing+=(lmod)
# The launcher's browser tests drive Debian's Chromium (playwright-core downloads no browser).
[ -x /usr/bin/chromium ] || missing+=(chromium)

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages for the tests: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash "$(dirname "$0")/ensure-python-env.sh"
# kustomize, kubeconform and the Kubernetes schemas the manifests test runs.
bash "$(dirname "$0")/ensure-kube-tools.sh"
# FerretDB, the MongoDB-protocol server the suites run against a second time.
bash "$(dirname "${BASH_SOURCE[0]}")/ensure-ferretdb.sh"
