from datetime import date

import pytest

from prilavok.consult.chat import stats
from prilavok.consult.kernel.deps import Deps
from tests.clients import add_operator
from tests.seed import expected_check_diff, expected_rate_diff, seed_uplift


async def test_uplift_matches_an_independent_computation(deps: Deps) -> None:
    anna = await add_operator(deps, "anna")
    seeded = await seed_uplift(deps, anna)
    async with deps.sessions() as s:
        got = await stats.compute(s, date(2026, 11, 1), date(2026, 11, 30))
    (row,) = [u for u in got["uplift"] if u["rule_id"] == seeded["rule_id"]]
    t, c = seeded["treated"], seeded["control"]
    assert row["treated"]["visits"] == len(t) == 96
    assert row["control"]["visits"] == len(c) == 24
    assert row["treated"]["purchases"] == sum(v is not None for v in t)
    value, low, high = expected_rate_diff(t, c)
    assert row["purchase_rate_diff"]["value"] == pytest.approx(value)
    assert row["purchase_rate_diff"]["low"] == pytest.approx(low, abs=1e-5)
    assert row["purchase_rate_diff"]["high"] == pytest.approx(high, abs=1e-5)
    value, low, high = expected_check_diff(t, c)
    assert row["average_check_diff"]["value"] == pytest.approx(value)
    assert row["average_check_diff"]["low"] == pytest.approx(low, rel=1e-5)
    assert row["average_check_diff"]["high"] == pytest.approx(high, rel=1e-5)

    shown = 96
    assert got["invitations"]["shown"] == shown
    assert got["invitations"]["held_back"] == 24
    accepted = got["chats"]["by_invitation"]
    assert got["invitations"]["accepted"] == accepted
    assert got["invitations"]["accepted_rate"] == pytest.approx(accepted / shown)
    assert got["first_response"]["count"] == accepted
    assert got["ratings"][0]["count"] == accepted
    # Every seeded visit had a cart; those with a chat are the accepted ones.
    assert got["carts"]["with_chat"]["visits"] == accepted
    assert got["carts"]["without_chat"]["visits"] == 120 - accepted
    assert sum(d["invitations_shown"] for d in got["daily"]) == shown


def test_percentiles_are_nearest_rank() -> None:
    assert stats.nearest_rank([], 0.9) is None
    assert stats.nearest_rank([5.0], 0.9) == 5.0
    assert stats.nearest_rank([float(x) for x in range(1, 11)], 0.9) == 9.0
    assert stats.nearest_rank([float(x) for x in range(1, 101)], 0.9) == 90.0
