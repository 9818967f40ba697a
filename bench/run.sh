#!/usr/bin/env bash
# One command for the whole benchmark suite: bash bench/run.sh [--quick] [--only ...] [--note ...]
# Sets up what it needs from the project's own files, then runs every scenario; each stops by
# itself. Prints one JSON object per scenario; adds the run to bench/RESULTS.md. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
setup_log=$(mktemp /tmp/prilavok-bench-setup.XXXXXX)
if ! { bash scripts/setup.sh && { .venv/bin/python -c "import psutil" 2>/dev/null \
       || .venv/bin/pip install -q -e ".[bench]"; }; } >"$setup_log" 2>&1; then
  cat "$setup_log" >&2
  exit 1
fi
rm -f "$setup_log"
if [ ! -d bench/node/node_modules ] || [ bench/node/package-lock.json -nt bench/node/node_modules ]; then
  npm ci --prefix bench/node --no-audit --no-fund --loglevel=error >&2
fi
# 10,000 connections need as many descriptors on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# A hard bound on the whole run, whatever happens inside it.
exec timeout -k 10 10800 .venv/bin/python -m bench "$@"
