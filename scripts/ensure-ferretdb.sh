#!/usr/bin/env bash
# Builds FerretDB (the MongoDB wire protocol over an embedded SQLite backend)
# from the Go module proxy into the repo's .cache/go/bin, once: a second run
# finds the binary of the pinned version and does nothing. The integration and
# acceptance suites run a second time against it (test/fixtures/ferretdb.ts).
set -euo pipefail

# FerretDB v2 dropped the SQLite backend, so the 1.24 line is the newest that
# runs without PostgreSQL.
FERRETDB_VERSION=v1.24.2

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$repo/.cache/go"
binary="$cache/bin/ferretdb"

if [ -x "$binary" ] && [ "$("$binary" --version 2>/dev/null | sed -n 's/^version: //p')" = "$FERRETDB_VERSION" ]; then
  exit 0
fi
if ! command -v go >/dev/null; then
  echo "ensure-ferretdb: the Go toolchain (go) is needed to build FerretDB $FERRETDB_VERSION" >&2
  exit 1
fi

echo "Building FerretDB $FERRETDB_VERSION into $cache/bin (a first build takes a few minutes)"
started=$SECONDS
# Modules, build cache and binary stay in the repo's cache folder; -modcacherw
# lets `rm -rf .cache` remove the module cache.
export GOMODCACHE="$cache/mod" GOCACHE="$cache/build" GOFLAGS="-modcacherw -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=0
module_dir="$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
# The module as published lacks build/version/version.txt, which FerretDB's
# own build generates (`git describe`) and a binary built without refuses to
# start: build from a copy that has it.
source_dir="$cache/src/FerretDB-$FERRETDB_VERSION"
rm -rf "$source_dir"
mkdir -p "$(dirname "$source_dir")"
cp -r "$module_dir" "$source_dir"
chmod -R u+w "$source_dir"
echo "$FERRETDB_VERSION" >"$source_dir/build/version/version.txt"
(cd "$source_dir" && go build -trimpath -o "$binary" ./cmd/ferretdb)
echo "FerretDB $FERRETDB_VERSION built in $((SECONDS - started)) s"
