#!/usr/bin/env bash
# Installs everything Prilavok needs into .venv and node_modules; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
extra=${1:-}
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ] \
  || [ requirements.lock -nt .venv/.installed ] || [ -n "$extra" ]; then
  .venv/bin/pip install -q --upgrade pip
  # Versions pinned by requirements.lock (scripts/lock.sh writes it), as constraints: only what
  # the chosen extras need is installed.
  if [ -n "$extra" ]; then target=".[$extra]"; else target="."; fi
  .venv/bin/pip install -q -c requirements.lock -e "$target"
  touch .venv/.installed
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# The widget bundle (/widget.js) is built from static/widget/src; cheap, so always rebuilt.
npm run --silent build
