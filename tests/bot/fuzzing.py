"""What the fuzz tests of HTTP input (test_fuzz_input.py) and of socket input
(test_fuzz_sockets.py) share: hostile values, mutations of good bodies, and hypothesis driven
from a thread against a deadline, each example on the test's own loop."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests import clients
from tests.bot.conftest import Env

PER_DB_SECONDS = 60

EVIL_TEXT = [
    "", "\x00", "a\x00b", "\ud800", "x\udfffy", "ы" * 300, "a" * 70_000, " ", "0", "-1",
    "9223372036854775807", "9223372036854775808", "99999999999999999999999", "1e309", "NaN",
    "0001-01-01", "9999-12-31", "9999-12-31T23:59:59", "0001-01-01T00:00:00+14:00",
    "2025-13-45", "Europe/Moscow", "Europe/" + "x" * 300, "../../etc/passwd", "UTC\x00",
    "<script>alert(1)</script>", "{{ 7*7 }}", "%s%n", "+79123456789", "online", "admin",
]  # fmt: skip
EVIL_INT = [0, -1, 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30]
FIELDS = [
    "login", "password", "conversation_id", "up_to", "client_id", "text", "url", "title",
    "rule_id", "invitation_id", "typing", "status", "id", "operator_id", "hot_reply_id",
    "shortcut", "task_id", "to", "kind", "name", "phone", "score", "comment", "idle_seconds",
    "hidden", "items", "total", "order_id", "hash", "customers", "products", "template",
    "sms_template", "sku", "stock", "price", "timezone", "consent", "starts_at", "customer_ids",
    "business_hours", "days", "capacity", "role", "category", "code", "revenue", "order_ref",
    "ordered_at", "conditions", "action", "cap", "holdout_percent", "priority", "enabled",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(EVIL_INT),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(EVIL_TEXT),
    st.text(max_size=20),
    st.text(alphabet=st.sampled_from("\x00\ud800\udc00aб/.-:{}%"), max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=8)), inner, max_size=5),
    ),
    max_leaves=12,
)


def deep(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


@st.composite
def mutated(draw: st.DrawFn, bases: list[Any]) -> Any:
    """A valid-looking body with one field (perhaps nested) set to something hostile."""
    base = json.loads(json.dumps(draw(st.sampled_from(bases))))
    target = base
    while isinstance(target, dict) and target and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(target)))
        if not isinstance(target[key], dict | list):
            break
        inner = target[key]
        target = inner[0] if isinstance(inner, list) and inner else inner
    if isinstance(target, dict):
        for _ in range(draw(st.integers(1, 3))):
            keys = st.sampled_from(sorted(target) or ["x"])
            key = draw(st.one_of(keys, keys, st.sampled_from(FIELDS)))
            target[key] = draw(st.one_of(st.sampled_from(EVIL_TEXT + EVIL_INT), values))
    return base


def encode(value: Any) -> bytes:
    # ensure_ascii writes lone surrogates as \\ud800 escapes, as a hostile client would.
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


def run_examples(
    loop: asyncio.AbstractEventLoop, strategy: Any, count: int, act: Callable[[Any], Any]
) -> None:
    """Hypothesis drives from a thread; each example runs on the test's own loop."""
    deadline = time.monotonic() + PER_DB_SECONDS

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def one(example: Any) -> None:
        if time.monotonic() < deadline:
            asyncio.run_coroutine_threadsafe(act(example), loop).result(30)

    one()


async def logged_in(env: Env) -> tuple[str, str]:
    await clients.add_operator(env.server.deps, "boss", role="admin")
    cookie = await clients.login(env.url, "boss")
    async with aiohttp.ClientSession(cookies={"prilavok_op": cookie}) as http:
        r = await http.get(env.url + "/console/api/me")
        return cookie, (await r.json())["csrf_token"]
