"""Percentiles of latency samples, in milliseconds."""

from __future__ import annotations

import math


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of an already sorted list; None when empty."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summary(values: list[float]) -> dict[str, float | None]:
    ordered = sorted(values)

    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 2)

    return {
        "p50_ms": r(percentile(ordered, 50)),
        "p99_ms": r(percentile(ordered, 99)),
        "max_ms": r(ordered[-1] if ordered else None),
    }
