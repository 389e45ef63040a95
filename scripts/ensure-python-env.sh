#!/usr/bin/env bash
# The hub side's Python environment: a venv at .cache/hub-venv made with
# Debian's python3, holding hub/requirements.txt from PyPI (every package
# pinned and hashed: JupyterHub 5, JupyterLab 4, Notebook 7, oauthenticator,
# the Kubernetes client, jsonschema, pytest) and this repository's spawner
# package (hub/, on the venv's path). The real-hub tests, the local stack and
# `npm run test:hub` run from it; the system Python stays as it is.
#
# Reused while hub/requirements.txt, the Python and the venv's place are the
# same (a stamp of their hash); remade from scratch when one changes.
# The hub's servers run as their people's own accounts and execute the venv:
# it is made readable by everyone and writable by root only.
#
#   bash scripts/ensure-python-env.sh          make or reuse the venv
#   bash scripts/ensure-python-env.sh --lock   recompile hub/requirements.txt
#                                              from hub/requirements.in
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=/usr/bin/python3
VENV=.cache/hub-venv
REQUIREMENTS=hub/requirements.txt
# The tools that compile the lock file; only --lock installs them, in a
# throwaway venv.
PIP_TOOLS=(pip==25.3 pip-tools==7.5.3)

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# Debian's python3 makes venvs only with python3-venv (ensurepip).
if ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then
  echo "Installing Debian's python3-venv"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi

if [ "${1:-}" = "--lock" ]; then
  tools=$(mktemp -d)
  trap 'rm -rf "$tools"' EXIT
  "$PYTHON" -m venv "$tools"
  "$tools/bin/pip" install --quiet --disable-pip-version-check "${PIP_TOOLS[@]}"
  # Left out (see hub/requirements.in): rfc3987-syntax and its parser lark.
  "$tools/bin/pip-compile" --quiet --generate-hashes --strip-extras --no-emit-index-url \
    --unsafe-package rfc3987-syntax --unsafe-package lark \
    --output-file "$REQUIREMENTS" hub/requirements.in
  echo "Compiled $REQUIREMENTS from hub/requirements.in"
  exit 0
fi

umask 022
mkdir -p .cache
# One install at a time per checkout (two test runs may start together).
exec 9>.cache/hub-venv.lock
flock 9

stamp=$({
  sha256sum "$REQUIREMENTS"
  "$PYTHON" --version
  realpath -m "$VENV"
  realpath hub
} | sha256sum | cut -d' ' -f1)
if [ "$(cat "$VENV/.requirements-stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

echo "Installing the hub's Python environment into $VENV from PyPI ($REQUIREMENTS)"
started=$(date +%s)
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
# Hash-checking mode: every package is pinned and its files' hashes checked.
"$VENV/bin/pip" install --quiet --disable-pip-version-check --no-input --require-hashes --no-deps -r "$REQUIREMENTS"
# The spawner package from this checkout, as `pip install -e hub/` would put it
# on the path (it has no entry points or compiled parts to install).
purelib=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
realpath hub >"$purelib/notebooks-hub-spawner.pth"
"$VENV/bin/python" -c 'import jupyterhub, jupyterlab, notebook, oauthenticator, notebooks_hub_spawner'

# Servers run as unprivileged accounts: they must reach and execute the venv.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
  ! setpriv --reuid=65534 --regid=65534 --clear-groups -- "$VENV/bin/python" -c 'import jupyterlab' 2>/dev/null; then
  echo "$VENV cannot be used by other accounts, whose servers run from it: every folder up to $(realpath "$VENV") must be enterable by all (mode 0755)." >&2
  exit 1
fi

echo "$stamp" >"$VENV/.requirements-stamp"
echo "The hub's Python environment is ready in $(($(date +%s) - started)) s"
