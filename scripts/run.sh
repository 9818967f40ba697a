#!/usr/bin/env bash
# The first README command: set up, migrate the embedded SQLite database and serve on :8080.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/prilavok serve "$@"
