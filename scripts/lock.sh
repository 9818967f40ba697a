#!/usr/bin/env bash
# Writes requirements.lock: every Python package (with the test and bench extras) pinned to the
# version scripts/setup.sh installs. Run after changing dependencies in pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=${TMPDIR:-/tmp}/prilavok-lock-tools
[ -x "$tools/bin/pip-compile" ] || { python3 -m venv "$tools" && "$tools/bin/pip" install -q pip-tools; }
"$tools/bin/pip-compile" -q --strip-extras --extra test --extra bench --no-emit-index-url \
  --no-emit-find-links --output-file requirements.lock pyproject.toml
