"""Group commit: requests that arrive while a transaction is running share the next one.

A busy chat receives many messages within one turn of the event loop. Storing each in its own
transaction costs a begin, a few round trips to the database thread and a commit apiece; one
transaction for all of them costs that once. Every caller still waits for its own group's
commit, so nothing is acknowledged before it is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

J = TypeVar("J")
R = TypeVar("R")


class Grouper(Generic[J, R]):
    """Runs `store(jobs) -> results` (one result per job, same order) for groups of jobs.

    A group that fails is retried one job at a time, so one bad job cannot sink the others;
    each caller then sees its own result or its own error.
    """

    def __init__(self, store: Callable[[list[J]], Awaitable[list[R]]], max_group: int) -> None:
        self._store = store
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
                group = self._pending[: self._max]
                del self._pending[: self._max]
                await self._settle(group)
        finally:
            self._runner = None

    async def _settle(self, group: list[tuple[J, asyncio.Future[R]]]) -> None:
        try:
            results = await self._store([job for job, _ in group])
        except asyncio.CancelledError as exc:
            # Shutting down: nobody is left waiting for an answer that will not come.
            for _, done in group:
                _fail(done, exc)
            raise
        except Exception as exc:
            if len(group) == 1:
                _fail(group[0][1], exc)
                return
            for item in group:
                await self._settle([item])
            return
        for (_, done), result in zip(group, results, strict=True):
            if not done.done():
                done.set_result(result)


def _fail(done: asyncio.Future[R], exc: BaseException) -> None:
    if not done.done():
        done.set_exception(exc)
