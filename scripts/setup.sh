#!/usr/bin/env bash
# Installs everything Prilavok needs into .venv and node_modules; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
extra=${1:-}
# What was installed is told by the content of the files that say what to install, not by
# their times (a checkout, a merge or a second worktree changes times, not needs).
py_hash="$(cat pyproject.toml requirements.lock setup.py | sha256sum | cut -d' ' -f1)"
py_stamp="$py_hash ${extra}"
installed="$(cat .venv/.installed 2>/dev/null || true)"
# Without extras, any install of these same files will do (the extras' packages do no harm).
if [ "$installed" != "$py_stamp" ] && { [ -n "$extra" ] || [ "${installed%% *}" != "$py_hash" ]; }; then
  .venv/bin/pip install -q --upgrade pip
  # Versions pinned by requirements.lock (scripts/lock.sh writes it), as constraints: only what
  # the chosen extras need is installed.
  if [ -n "$extra" ]; then target=".[$extra]"; else target="."; fi
  .venv/bin/pip install -q -c requirements.lock -e "$target"
  echo "$py_stamp" > .venv/.installed
fi
js_stamp="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f node_modules/.installed ] || [ "$(cat node_modules/.installed)" != "$js_stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$js_stamp" > node_modules/.installed
fi
# The widget bundle (/widget.js) is built from static/widget/src; cheap, so always rebuilt.
npm run --silent build
