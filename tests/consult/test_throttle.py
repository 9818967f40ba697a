"""Rate limits (consult/kernel/throttle.py); the client address behind proxies (addresses.py)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from prilavok.consult.kernel.addresses import ClientAddresses
from prilavok.consult.kernel.errors import RateLimited
from prilavok.consult.kernel.throttle import DEFAULT_RULES, Throttle
from tests.conftest import REDIS_URL


async def test_a_full_window_refuses_with_the_seconds_until_it_has_room() -> None:
    throttle = Throttle({"visitor_messages": "3/minute"})
    for _ in range(3):
        await throttle.hit("visitor_messages", "v1")
    with pytest.raises(RateLimited) as exc:
        await throttle.hit("visitor_messages", "v1")
    assert exc.value.code == "rate_limited" and exc.value.http_status == 429
    assert 55 <= exc.value.retry_after <= 60
    assert exc.value.as_dict()["retry_after"] == exc.value.retry_after
    await throttle.hit("visitor_messages", "v2")  # another visitor has a window of its own


async def test_failures_are_counted_apart_from_checks_and_the_wait_grows() -> None:
    """Login failures: `check` counts nothing; a second, longer window makes the wait grow."""
    throttle = Throttle({"login_failures": "2/second; 3/minute"})
    for _ in range(5):
        await throttle.check("login_failures", "anna")  # checks alone never fill a window
    await throttle.fail("login_failures", "anna")
    await throttle.fail("login_failures", "anna")
    with pytest.raises(RateLimited) as short:
        await throttle.check("login_failures", "anna")
    assert short.value.retry_after == 1
    await asyncio.sleep(1.1)
    await throttle.check("login_failures", "anna")  # the second's window has room again
    await throttle.fail("login_failures", "anna")
    with pytest.raises(RateLimited) as long:
        await throttle.check("login_failures", "anna")
    assert 55 <= long.value.retry_after <= 60


async def test_an_empty_rule_turns_a_limit_off() -> None:
    throttle = Throttle({"address_sockets": ""})
    for _ in range(500):
        await throttle.hit("address_sockets", "10.0.0.1")


def test_every_default_is_a_valid_rule() -> None:
    throttle = Throttle()
    assert set(throttle.rules) == set(DEFAULT_RULES)
    assert all(throttle.rules[name] for name in DEFAULT_RULES)


async def test_processes_sharing_redis_share_limits() -> None:
    prefix = f"test-{uuid.uuid4().hex}"
    one = Throttle({"address_conversations": "2/minute"}, redis_url=REDIS_URL, key_prefix=prefix)
    two = Throttle({"address_conversations": "2/minute"}, redis_url=REDIS_URL, key_prefix=prefix)
    await one.hit("address_conversations", "10.0.0.9")
    await two.hit("address_conversations", "10.0.0.9")
    with pytest.raises(RateLimited) as exc:
        await one.hit("address_conversations", "10.0.0.9")
    assert exc.value.retry_after > 50
    await one.close()
    await two.close()


def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    addresses = ClientAddresses(["127.0.0.1", "10.0.0.0/8"])
    # A direct client: its header is ignored, whatever it says.
    assert addresses.resolve("203.0.113.5", "1.2.3.4") == "203.0.113.5"
    # Through one trusted proxy.
    assert addresses.resolve("127.0.0.1", "198.51.100.7") == "198.51.100.7"
    # A client's own forged hop stays to the left of the address the proxy saw.
    assert addresses.resolve("127.0.0.1", "1.2.3.4, 198.51.100.7") == "198.51.100.7"
    # Two trusted proxies in a row.
    assert addresses.resolve("127.0.0.1", "198.51.100.7, 10.1.2.3") == "198.51.100.7"
    # A garbled hop: the last address a trusted proxy vouched for.
    assert addresses.resolve("127.0.0.1", "nonsense") == "127.0.0.1"
    assert addresses.resolve("127.0.0.1", None) == "127.0.0.1"
    # Nobody trusted: never the header.
    assert ClientAddresses().resolve("127.0.0.1", "198.51.100.7") == "127.0.0.1"
