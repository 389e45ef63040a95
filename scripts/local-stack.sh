#!/usr/bin/env bash
# The whole product on one machine: JupyterHub 5 from the project's venv
# (scripts/ensure-python-env.sh) with this repository's spawner (hub/),
# JupyterLab (the default application) and Notebook 7, configurable-http-proxy
# from npm, and the API wired to it and to the API's embedded OpenID provider,
# at which the hub signs people in (GenericOAuthenticator), so hub users are
# the API's people. Installs what is missing (as the tests do), keeps its
# state in LOCAL_STACK_DIR, runs until Ctrl-C.
#
# Must run as root: the spawner runs each person's servers as their own
# unprivileged system account (made when first needed) and mounts each
# server's datasets in a mount namespace of its own (see hub/README.md).
# The API, the hub and their files (tokens, DATA_DIR, the hub's database)
# are root's alone; homes are their person's, closed to others.
#
# Settings (environment): PORT (API, 3000), HUB_PORT (hub, 8000),
# HUB_API_PORT (8081), HUB_PROXY_API_PORT (8001), LOCAL_STACK_DIR
# (./data/local-stack), LOG_ROTATE_BYTES (10485760: a log past it is moved to
# .1 at start). When one of its processes ends, it says which and shows the
# end of its log.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "The local stack must run as root: its hub mounts datasets into each server (see hub/README.md)." >&2
  exit 1
fi

PORT=${PORT:-3000}
HUB_PORT=${HUB_PORT:-8000}
HUB_API_PORT=${HUB_API_PORT:-8081}
HUB_PROXY_API_PORT=${HUB_PROXY_API_PORT:-8001}
STATE=$(realpath -m "${LOCAL_STACK_DIR:-data/local-stack}")
API_URL="http://127.0.0.1:${PORT}"
HUB_URL="http://127.0.0.1:${HUB_PORT}"

bash scripts/ensure-test-deps.sh
[ -d node_modules ] || npm ci
npm run build >/dev/null

case "$STATE/" in
  /tmp/* | /var/tmp/* | /dev/shm/*)
    echo "LOCAL_STACK_DIR must not be under /tmp, /var/tmp or /dev/shm: every server gets a private copy of those." >&2
    exit 1
    ;;
esac
mkdir -p "$STATE/api" "$STATE/hub" "$STATE/homes" "$STATE/datasets" "$STATE/modules"
chown root:root "$STATE" "$STATE/api" "$STATE/hub" "$STATE/homes" "$STATE/datasets" "$STATE/modules"
# Servers pass through to their homes and read modulefiles; nothing else of
# the stack is theirs to read.
chmod 711 "$STATE" "$STATE/homes"
chmod 700 "$STATE/api" "$STATE/hub" "$STATE/datasets"
chmod 755 "$STATE/modules"
# Tokens made once and kept: the hub's database remembers the service token,
# and its people's auth state is encrypted with the crypt key.
token() { /usr/bin/python3 -c 'import secrets; print(secrets.token_hex(32))'; }
if [ ! -f "$STATE/tokens.env" ]; then
  (umask 077 && : >"$STATE/tokens.env")
fi
for name in HUB_API_TOKEN SPAWNER_TOKEN JUPYTERHUB_CRYPT_KEY; do
  grep -q "^$name=" "$STATE/tokens.env" || echo "$name=$(token)" >>"$STATE/tokens.env"
done
# shellcheck source=/dev/null
source "$STATE/tokens.env"
VENV_BIN="$PWD/.cache/hub-venv/bin"

# Logs are appended (servers the hub adopts after a restart keep writing to
# theirs) and set aside once past LOG_ROTATE_BYTES.
LOG_ROTATE_BYTES=${LOG_ROTATE_BYTES:-10485760}
rotate() {
  if [ -f "$1" ] && [ "$(stat -c %s "$1")" -gt "$LOG_ROTATE_BYTES" ]; then mv -f "$1" "$1.1"; fi
}
rotate "$STATE/hub.log"
rotate "$STATE/api.log"

pids=()
names=()
stop() {
  trap - INT TERM EXIT
  echo "Stopping the local stack"
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
  wait || true
}
trap stop INT TERM EXIT

# The venv first on PATH: servers find its jupyter, python and pip.
env -i PATH="$VENV_BIN:/usr/bin:/bin:/usr/sbin:/sbin" HOME="$STATE/hub" LANG=C.UTF-8 \
  JUPYTERHUB_API_TOKEN="$HUB_API_TOKEN" \
  JUPYTERHUB_CRYPT_KEY="$JUPYTERHUB_CRYPT_KEY" \
  JUPYTERHUB_DATA_DIR="$STATE/hub" \
  JUPYTERHUB_BIND_URL="$HUB_URL" \
  JUPYTERHUB_HUB_BIND_URL="http://127.0.0.1:${HUB_API_PORT}" \
  JUPYTERHUB_PROXY_API_URL="http://127.0.0.1:${HUB_PROXY_API_PORT}" \
  NOTEBOOKS_HUB_PROXY_COMMAND="$(printf '%q %q' "$(command -v node)" "$PWD/node_modules/configurable-http-proxy/bin/configurable-http-proxy")" \
  NOTEBOOKS_HUB_UI_URL="$API_URL/" \
  NOTEBOOKS_HUB_SPAWNER=local \
  NOTEBOOKS_HUB_AUTH=oidc \
  OAUTH2_AUTHORIZE_URL="$API_URL/oidc/auth" \
  OAUTH2_TOKEN_URL="$API_URL/oidc/token" \
  OAUTH_CLIENT_ID=notebooks-hub \
  OAUTH_CALLBACK_URL="$HUB_URL/hub/oauth_callback" \
  NOTEBOOKS_HUB_API_URL="$API_URL" \
  NOTEBOOKS_HUB_SPAWNER_TOKEN="$SPAWNER_TOKEN" \
  HOMES_ROOT="$STATE/homes" DATASETS_ROOT="$STATE/datasets" MODULES_ROOT="$STATE/modules" \
  "$VENV_BIN/jupyterhub" -f deploy/jupyterhub/jupyterhub_config.py >>"$STATE/hub.log" 2>&1 &
pids+=($!)
names+=(hub)

PORT="$PORT" PUBLIC_URL="$API_URL" DATA_DIR="$STATE/api" \
  HOMES_ROOT="$STATE/homes" DATASETS_ROOT="$STATE/datasets" MODULES_ROOT="$STATE/modules" HOMES_OWNER=hub-user \
  HUB_API_URL="http://127.0.0.1:${HUB_API_PORT}/hub/api" HUB_API_TOKEN="$HUB_API_TOKEN" HUB_PUBLIC_URL="$HUB_URL" \
  SPAWNER_TOKEN="$SPAWNER_TOKEN" \
  OIDC_REDIRECT_URIS="$API_URL/,$HUB_URL/hub/oauth_callback" \
  node --experimental-async-context-frame --heap-growing-percent=80 --max-semi-space-size=8 dist/src/index.js >>"$STATE/api.log" 2>&1 &
pids+=($!)
names+=(api)

# Which of the stack's processes a pid is, for the message when it ends.
name_of() {
  local i
  for i in "${!pids[@]}"; do [ "${pids[$i]}" = "$1" ] && echo "${names[$i]}"; done
}

ready() { curl -fsS -o /dev/null "$1" 2>/dev/null || /usr/bin/python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$1" 2>/dev/null; }
for _ in $(seq 1 240); do
  if ready "$API_URL/version" && ready "http://127.0.0.1:${HUB_API_PORT}/hub/api/"; then
    cat <<EOF
Notebooks Hub is running.
  Launcher:    $API_URL/ (sign in as alice@example.org (admin) or bob@example.org; any password)
  API explorer: $API_URL/explorer
  JupyterHub:  $HUB_URL (signs in through the same provider)
  Logs:        $STATE/api.log, $STATE/hub.log
Stop with Ctrl-C.
EOF
    status=0
    wait -n -p ended "${pids[@]}" || status=$?
    name=$(name_of "$ended")
    echo "The local stack's $name ended (exit status $status); the end of $STATE/$name.log:" >&2
    tail -n 20 "$STATE/$name.log" >&2
    exit 1
  fi
  for pid in "${pids[@]}"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "The local stack did not start:" >&2
      tail -n 40 "$STATE/hub.log" "$STATE/api.log" >&2
      exit 1
    fi
  done
  sleep 0.5
done
echo "The local stack did not start within 120 s; see $STATE/api.log and $STATE/hub.log" >&2
exit 1
