"""Offer templates are bounded: size, loop iterations, values, output and time of
one render are limited, a costly template is refused when the offer is created, and renders run
on threads of their own, not in the event loop."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator

import pytest

from prilavok.bot import message_templates
from prilavok.bot.template_limits import MAX_SOURCE, TIME_LIMIT, TooCostly, within_budget
from prilavok.consult.kernel.errors import ConsultError
from tests.bot.conftest import Env

NESTED_20000 = "{% for i in range(20000) %}{% for j in range(20000) %}{% endfor %}{% endfor %}"
COSTLY = {
    NESTED_20000: "range()",
    "{% for i in range(5000) %}{% for j in range(5000) %}{% endfor %}{% endfor %}": "iterations",
    "{{ 'x' * 100000000 }}": "value longer",
    "{% set a = 'xxxxxxxxxx' %}" + "{% set a = a ~ a %}" * 40 + "{{ a }}": "value longer",
    "{{ ('x' * 5000)|replace('x', 'x' * 5000) }}": "replace()",
    "{{ '%*d' % (100000000, 1) }}": "widths",
    "{% for i in range(9000) %}xxxxx{% endfor %}": "characters of text",
    "{% for i in range(10000) %}{{ ('xy' * 4500)|sort|join|length }}{% endfor %}": "took more",
    "x" * (MAX_SOURCE + 1): "at most",
}
REFUSED = {
    "{{ 'x'.ljust(100000000) }}": "ljust",
    "{{ '{:>100000000}'.format(1) }}": "format",
    "{{ lipsum(100000) }}": "lipsum",
    "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(1) }}": "RecursionError",
}


# Timed (the render's time limit): alone, where another test cannot take its core.
@pytest.mark.serial
@pytest.mark.parametrize("source", list(COSTLY))
def test_a_costly_template_is_refused_within_the_time_limit(source: str) -> None:
    started = time.monotonic()
    with pytest.raises(ConsultError) as refused:
        message_templates.check(source)
    assert refused.value.code == "template_too_costly"
    # On a loaded machine the time limit may come first; either way the render stops.
    assert COSTLY[source] in refused.value.message or "took more" in refused.value.message
    assert time.monotonic() - started < TIME_LIMIT + 2  # compiling the template included


def test_waiting_for_a_core_does_not_count_against_the_time_limit() -> None:
    """A render that is not running (another thread holds the GIL during a collection, the
    machine is loaded) has done no work: only its own CPU time counts. With the wall clock, an
    ordinary offer failed as too costly now and then on a busy machine."""

    def render() -> Iterator[str]:
        yield "a"
        time.sleep(TIME_LIMIT + 0.3)  # off the CPU, as a thread waiting for its turn is
        yield "b"

    assert within_budget(render) == "ab"


def test_a_collection_in_the_render_thread_does_not_count_against_the_time_limit() -> None:
    """A full collection of a big process runs in whichever thread allocates, and can take more
    CPU than a render may: an ordinary offer failed as too costly now and then in the tests."""

    def slow_collection(phase: str, info: dict[str, object]) -> None:
        if phase == "start":  # as long as a collection of a heap of millions of objects
            end = time.thread_time() + TIME_LIMIT + 0.3
            while time.thread_time() < end:
                pass

    def render() -> Iterator[str]:
        yield "a"
        gc.collect()
        yield "b"

    gc.callbacks.append(slow_collection)
    try:
        assert within_budget(render) == "ab"
    finally:
        gc.callbacks.remove(slow_collection)

    def busy() -> Iterator[str]:  # the render's own work still counts
        yield "a"
        end = time.thread_time() + TIME_LIMIT + 0.3
        while time.thread_time() < end:
            pass
        yield "b"

    with pytest.raises(TooCostly):
        within_budget(busy)


@pytest.mark.parametrize("source", list(REFUSED))
def test_padding_methods_and_unbounded_helpers_are_not_offered(source: str) -> None:
    with pytest.raises(ConsultError) as refused:
        message_templates.check(source)
    assert refused.value.code == "invalid_template"
    assert REFUSED[source] in refused.value.message


def test_ordinary_templates_still_render() -> None:
    source = (
        "{{ customer.first_name }}, {{ product.title|upper }} за {{ product.price }} ₽"
        "{% for i in range(3) %} {{ loop.index }}{% endfor %} {{ 'a b'.split()|join('+') }}"
    )
    assert message_templates.render(source, message_templates.SAMPLE) == (
        "Иван, ЧЕХОЛ за 990 ₽ 1 2 3 a+b"
    )


async def test_renders_run_off_the_event_loop() -> None:
    def where() -> str:
        return threading.current_thread().name

    assert (await message_templates.off_loop(where)).startswith("offer-templates")
    assert where() == threading.main_thread().name


@pytest.mark.serial
async def test_the_api_refuses_a_looping_template_in_milliseconds(env: Env) -> None:
    await env.product()
    started = time.monotonic()
    status, data = await env.call(
        "POST", "/api/v1/offers", {"title": "x", "sku": "case-1", "template": NESTED_20000}
    )
    refused_in = time.monotonic() - started
    assert status == 400 and data["error"]["code"] == "template_too_costly", data
    assert refused_in < 1.0, refused_in
    print(f"looping template refused in {refused_in * 1000:.1f} ms")
    status, data = await env.call(
        "POST", "/api/v1/offers", {"title": "x", "sku": "case-1", "template": "Привет!"}
    )
    assert status == 201, data
