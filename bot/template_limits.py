"""A Jinja2 sandbox that bounds the work of one render, so that no offer template can stall.

The stock sandbox stops templates from reaching Python internals but not from looping: two
nested `range(20000)` kept a core busy for seconds. Here every render gets a budget:
at most `MAX_STEPS` loop iterations, calls and filter applications together, `TIME_LIMIT`
seconds of the rendering thread's CPU, and no value or output longer than `MAX_VALUE` /
`MAX_OUTPUT`. Loops are counted by compiling each `for` over a counting filter; operators that
multiply sizes (`*`, `**`, `%`, `~`) are checked before or right after they run; only filters
and string methods whose output is bounded by their input are offered.
"""

from __future__ import annotations

import functools
import gc
import math
import operator
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

MAX_SOURCE = 4_000  # characters of a template
MAX_STEPS = 10_000  # loop iterations + calls + filter applications in one render
MAX_VALUE = 10_000  # characters (or items) of any value a template makes
MAX_OUTPUT = 10_000  # characters of the rendered text
TIME_LIMIT = 0.5  # seconds of one render
_COUNT = "_prilavok_count"  # the counting filter every loop goes through

# Filters whose result is no bigger than their arguments (given the checks below).
SAFE_FILTERS = (
    "abs capitalize count d default first float int join last length list lower max min "
    "replace reverse round sort string sum title trim truncate unique upper wordcount"
).split()
# Methods of str that templates may call; padding and expanding ones are left out.
SAFE_STR_METHODS = frozenset(
    "capitalize casefold endswith isalpha isdigit isnumeric lower lstrip rstrip split "
    "startswith strip title upper".split()
)


class TooCostly(SecurityError):
    """The template asked for more work than one render may do."""


# The collector runs in whichever thread allocates when a generation fills up, and a full
# collection of a big process takes more CPU than a render may: its time is not the template's.
_collector = threading.local()


def _time_collections(phase: str, info: dict[str, Any]) -> None:
    now = time.thread_time()
    if phase == "start":
        _collector.started = now
    elif (started := getattr(_collector, "started", None)) is not None:
        _collector.spent = getattr(_collector, "spent", 0.0) + now - started
        _collector.started = None


gc.callbacks.append(_time_collections)


def work_time() -> float:
    """This thread's CPU time, less what the garbage collector took in it."""
    return time.thread_time() - getattr(_collector, "spent", 0.0)


@dataclass
class Budget:
    steps: int
    deadline: float

    def spend(self, n: int = 1) -> None:
        self.steps -= n
        if self.steps < 0:
            raise TooCostly(f"more than {MAX_STEPS} loop iterations and calls")
        if work_time() > self.deadline:
            raise TooCostly(f"rendering took more than {TIME_LIMIT} s")


_budget: ContextVar[Budget] = ContextVar("template_budget")


def _spend(n: int = 1) -> None:
    _budget.get().spend(n)


def _size(value: Any) -> int:
    if isinstance(value, str | bytes | list | tuple | dict | set | range):
        return len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value.bit_length() // 3  # about its decimal digits
    return 0


def bounded(value: Any) -> Any:
    if _size(value) > MAX_VALUE:
        raise TooCostly(f"a value longer than {MAX_VALUE}")
    return value


def _count(iterable: Iterable[Any]) -> Iterator[Any]:
    bounded(iterable)
    for item in iterable:
        _spend()
        yield item


def _range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_STEPS:
        raise TooCostly(f"range() of more than {MAX_STEPS} items")
    return r


def _replace(value: Any, old: Any, new: Any, count: int | None = None) -> Any:
    s, old, new = str(value), str(old), str(new)
    times = s.count(old) if old else len(s) + 1
    if count is not None:
        times = min(times, max(count, 0))
    if len(s) + times * max(len(new) - len(old), 0) > MAX_VALUE:
        raise TooCostly(f"replace() would make more than {MAX_VALUE} characters")
    return s.replace(old, new, -1 if count is None else count)


def _pow(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, int) and abs(left) > 1:
        if right * math.log2(abs(left)) > 3 * MAX_VALUE:
            raise TooCostly("a power too large")
    return bounded(left**right)


def _mul(left: Any, right: Any) -> Any:
    for seq, times in ((left, right), (right, left)):
        if _size(seq) and isinstance(times, int) and _size(seq) * max(times, 0) > MAX_VALUE:
            raise TooCostly(f"a value longer than {MAX_VALUE}")
    return bounded(operator.mul(left, right))


def _mod(left: Any, right: Any) -> Any:
    if isinstance(left, str) and "*" in left:  # "%*d": a width from the arguments
        raise TooCostly("'*' widths are not allowed in % formatting")
    return bounded(operator.mod(left, right))


def _guard_filter(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)  # keeps jinja's pass_context / pass_environment marks
    def run(*args: Any, **kwargs: Any) -> Any:
        _spend()
        for arg in (*args, *kwargs.values()):
            if not isinstance(arg, Context):
                bounded(arg)
        return bounded(fn(*args, **kwargs))

    return run


class _CountingLoops(CodeGenerator):
    """Every `{% for x in seq %}` is compiled as `{% for x in seq|_prilavok_count %}`, and every
    `~` concatenation is checked for size."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        for loop in node.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, _COUNT, [], [], None, None, lineno=loop.lineno)
        super().visit_Template(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded(")
        super().visit_Concat(node, frame)
        self.write(")")


class BoundedSandbox(SandboxedEnvironment):
    code_generator_class = _CountingLoops
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filters = {name: _guard_filter(FILTERS[name]) for name in SAFE_FILTERS}
        self.filters["replace"] = _guard_filter(_replace)
        self.filters[_COUNT] = _count
        self.globals = {"range": _range}
        self.binop_table = {
            **self.binop_table,
            "*": _mul,
            "**": _pow,
            "%": _mod,
            "+": lambda a, b: bounded(a + b),
        }

    @staticmethod
    def bounded(value: Any) -> Any:
        return bounded(value)

    def call_binop(self, context: Context, op: str, left: Any, right: Any) -> Any:
        _spend()
        return self.binop_table[op](left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _spend()
        # The sandbox hands str.format out wrapped; the wrapped method names its string.
        method = getattr(__obj, "__wrapped__", __obj)
        name = getattr(method, "__name__", "")
        if isinstance(getattr(method, "__self__", None), str) and name not in SAFE_STR_METHODS:
            raise SecurityError(f"str.{name}() is not allowed in templates")
        for arg in (*args, *kwargs.values()):
            bounded(arg)
        return bounded(super().call(__context, __obj, *args, **kwargs))


def within_budget(render: Callable[[], Iterable[str]]) -> str:
    """Runs `render` (a template's generate()) with a fresh budget; the text, or TooCostly."""
    # The render's own CPU time, not the clock's: a render that waits for the GIL (a collection
    # or a busy loop in another thread) or for a core on a loaded machine has done no work, and
    # a legitimate offer must not fail as too costly because of it.
    token = _budget.set(Budget(MAX_STEPS, work_time() + TIME_LIMIT))
    try:
        out: list[str] = []
        total = 0
        for chunk in render():
            total += len(chunk)
            if total > MAX_OUTPUT:
                raise TooCostly(f"more than {MAX_OUTPUT} characters of text")
            out.append(chunk)
            _spend(0)  # the clock, between chunks too
        return "".join(out)
    finally:
        _budget.reset(token)
