#!/usr/bin/env bash
# The second README command: set up everything the tests need, then lint and run the whole suite:
# ruff and import-linter, ESLint and node's tests of the front-end logic (tests/js), then pytest
# (in parallel, then the serial part: see below).
# PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) must be running: the tests use them for
# real and fail, not skip, without them.
set -euo pipefail
cd "$(dirname "$0")/.."
# The bench extra too: some tests drive the benchmarks at a small size.
bash scripts/setup.sh test,bench
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
.venv/bin/ruff check .
.venv/bin/lint-imports
npx --no-install eslint .
node --test tests/js/
# pytest in two parts: first every test fit to run beside others, on pytest-xdist workers (one a
# core unless PRILAVOK_TEST_WORKERS says otherwise; the tests of one xdist_group share a worker),
# then the tests marked `serial` (timed ones) alone. A part with nothing selected (exit 5) is fine.
part() {
  local rc=0
  .venv/bin/pytest "$@" || rc=$?
  [ "$rc" -eq 5 ] && rc=0
  return "$rc"
}
failed=0
part -n "${PRILAVOK_TEST_WORKERS:-auto}" --dist loadgroup --part parallel "$@" || failed=1
part --part serial "$@" || failed=1
exit "$failed"
