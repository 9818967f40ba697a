"""`bench/run.sh --set`: profile fields changed from the command line, booleans included."""

from __future__ import annotations

import pytest

from bench.config import FULL, override


def test_set_changes_rates_and_flags() -> None:
    changed = override(FULL, ["rates=500,1000,1500", "every_rate=true", "p99_limit_ms=50"])
    assert changed.rates == (500, 1000, 1500)
    assert changed.every_rate is True
    assert changed.p99_limit_ms == 50.0
    assert FULL.every_rate is False
    # "false" is false, not the truth of a non-empty string.
    assert override(changed, ["every_rate=false"]).every_rate is False


def test_an_unknown_field_is_named() -> None:
    with pytest.raises(AttributeError, match="nosuch"):
        override(FULL, ["nosuch=1"])
