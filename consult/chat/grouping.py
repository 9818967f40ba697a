"""Group commit: requests that arrive while a transaction is running share the next one.

A busy chat receives many messages within one turn of the event loop. Storing each in its own
transaction costs a begin, a few round trips to the database thread and a commit apiece; one
transaction for all of them costs that once. Every caller still waits for its own group's
commit, so nothing is acknowledged before it is stored.

`OverlappingGrouper` lets the next group write while the one before commits: on PostgreSQL the
flush to disk is most of a small transaction's time, and commits that overlap share a flush.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

J = TypeVar("J")
R = TypeVar("R")
# A job's outcome: its result, or the error it alone raised.
Outcome = tuple[bool, object]
Written = Callable[[], None]


def _nothing() -> None:
    return None


class _Groups(Generic[J, R]):
    """Collects submitted jobs into groups of at most `max_group` and runs each through `_call`
    (one result per job, same order).

    A group that fails is retried one job at a time, so one bad job cannot sink the others;
    each caller then sees its own result or its own error.
    """

    def __init__(self, max_group: int) -> None:
        self._max = max_group
        self._pending: list[tuple[J, asyncio.Future[R]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def submit(self, job: J) -> R:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[R] = loop.create_future()
        self._pending.append((job, done))
        if self._runner is None:
            # Starts on the next turn of the loop, so jobs arriving in this one join the group.
            self._runner = loop.create_task(self._run())
        # A caller that gives up cancels only its own future: the group runs in its own task,
        # and answers only the futures still waiting (no shield needed, one future less a job).
        return await done

    async def _run(self) -> None:
        try:
            # One more turn of the loop: what the same burst of reads brings joins this group.
            await asyncio.sleep(0)
            while self._pending:
                group = self._take()
                try:
                    outcomes = await self._outcomes(group, _nothing)
                except asyncio.CancelledError as exc:
                    # Shutting down: nobody is left waiting for an answer that will not come.
                    _fail_all(group, exc)
                    raise
                _answer(group, outcomes)
        finally:
            self._runner = None

    def _take(self) -> list[tuple[J, asyncio.Future[R]]]:
        group = self._pending[: self._max]
        del self._pending[: self._max]
        return group

    async def _call(self, jobs: list[J], written: Written) -> list[R]:
        raise NotImplementedError

    async def _outcomes(
        self, group: list[tuple[J, asyncio.Future[R]]], written: Written
    ) -> list[Outcome]:
        try:
            return [(True, r) for r in await self._call([job for job, _ in group], written)]
        except Exception as exc:
            if len(group) == 1:
                return [(False, exc)]
            outcomes: list[Outcome] = []
            for item in group:
                outcomes += await self._outcomes([item], _nothing)
            return outcomes


class Grouper(_Groups[J, R]):
    """Runs `store(jobs) -> results` for groups of jobs, one group after another."""

    def __init__(self, store: Callable[[list[J]], Awaitable[list[R]]], max_group: int) -> None:
        super().__init__(max_group)
        self._store = store

    async def _call(self, jobs: list[J], written: Written) -> list[R]:
        return await self._store(jobs)


class OverlappingGrouper(_Groups[J, R]):
    """A Grouper whose `store(jobs, written)` calls `written()` once its statements are done and
    only the commit is left; the next group starts then, while this one commits.

    Groups start in order, each after the one before has written, so what they insert keeps the
    order of arrival; their answers are released in the same order, so callers acknowledge and
    relay in it too. At most `in_flight` groups (connections) at once. (A group whose commit
    fails after it has written is retried one job at a time beside the next group: the one case
    where a later message may be stored first.)
    """

    def __init__(
        self,
        store: Callable[[list[J], Written], Awaitable[list[R]]],
        max_group: int,
        in_flight: int = 3,
    ) -> None:
        super().__init__(max_group)
        self._store = store
        self._slots = asyncio.Semaphore(in_flight)
        # Set when the group taken last has answered its callers: the next one waits for it.
        self._answered: asyncio.Future[None] | None = None
        self._groups: set[asyncio.Task[None]] = set()

    async def _call(self, jobs: list[J], written: Written) -> list[R]:
        return await self._store(jobs, written)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.sleep(0)
            while self._pending:
                await self._slots.acquire()
                group = self._take()
                written: asyncio.Future[None] = loop.create_future()
                before, self._answered = self._answered, loop.create_future()
                task = loop.create_task(self._one(group, written, before, self._answered))
                self._groups.add(task)
                task.add_done_callback(self._groups.discard)
                # The next group's statements come after this one's.
                await written
        finally:
            self._runner = None

    async def _one(
        self,
        group: list[tuple[J, asyncio.Future[R]]],
        written: asyncio.Future[None],
        before: asyncio.Future[None] | None,
        answered: asyncio.Future[None],
    ) -> None:
        try:
            try:
                outcomes = await self._outcomes(group, lambda: _settle(written))
            finally:
                _settle(written)
            if before is not None:
                await before
            _answer(group, outcomes)
        except asyncio.CancelledError as exc:
            _fail_all(group, exc)
            raise
        finally:
            _settle(answered)
            self._slots.release()


def _answer(group: list[tuple[J, asyncio.Future[R]]], outcomes: list[Outcome]) -> None:
    for (_, done), (ok, value) in zip(group, outcomes, strict=True):
        if done.done():
            continue
        if ok:
            done.set_result(value)  # type: ignore[arg-type]
        else:
            assert isinstance(value, BaseException)
            done.set_exception(value)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _fail_all(group: list[tuple[J, asyncio.Future[R]]], exc: BaseException) -> None:
    for _, done in group:
        if not done.done():
            done.set_exception(exc)
