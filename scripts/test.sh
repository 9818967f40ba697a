#!/usr/bin/env bash
# The second README command: set up everything the tests need, then lint and run the whole suite:
# ruff and import-linter, ESLint and node's tests of the front-end logic (tests/js), then pytest.
# PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) must be running: the tests use them for
# real and fail, not skip, without them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/lint-imports
npx --no-install eslint .
node --test tests/js/
exec .venv/bin/pytest "$@"
