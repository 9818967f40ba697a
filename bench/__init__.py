"""Prilavok's benchmark suite: `bash bench/run.sh [--quick]`; see bench/README.md."""
