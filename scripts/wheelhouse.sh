#!/usr/bin/env bash
# Build a wheelhouse: every wheel that requirements.txt needs, so that a machine with no
# internet (a police intranet) can install with scripts/install-offline.sh.
#
#   scripts/wheelhouse.sh [DIR]                      # default DIR: wheelhouse/
#   PYTHON_VERSION=3.11 PLATFORM=manylinux2014_x86_64 scripts/wheelhouse.sh   # for another target
#   REQUIREMENTS=requirements-dev.txt scripts/wheelhouse.sh                   # plus the test tools
#
# Wheels only (--only-binary): an sdist would need a compiler and build tools on the
# isolated machine. Without PLATFORM/PYTHON_VERSION the wheels are for the Python that
# runs this script, so run it with the same Python version and OS as the target.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-wheelhouse}"
REQ="${REQUIREMENTS:-requirements.txt}"
PY="${PYTHON:-python3}"

args=(download --only-binary=:all: -r "$REQ" -d "$OUT")
[ -n "${PLATFORM:-}" ] && args+=(--platform "$PLATFORM")
[ -n "${PYTHON_VERSION:-}" ] && args+=(--python-version "$PYTHON_VERSION")

mkdir -p "$OUT"
"$PY" -m pip "${args[@]}"
# the requirement files travel with the wheels, so the wheelhouse alone is enough
cp requirements.txt "$OUT/"
[ "$REQ" = requirements.txt ] || cp "$REQ" "$OUT/"
count=$(find "$OUT" -maxdepth 1 -name '*.whl' | wc -l)
size=$(du -sh "$OUT" | cut -f1)
echo "wheelhouse: $OUT  ($count wheels, $size) for $("$PY" -c 'import sys, platform; print(f"Python {sys.version_info[0]}.{sys.version_info[1]} {platform.system()} {platform.machine()}")')${PLATFORM:+ → $PLATFORM}${PYTHON_VERSION:+ py$PYTHON_VERSION}"
