"""Operator passwords, hashed with argon2id on a small thread pool of their own.

A hash takes tens of milliseconds of a core and 64 MiB. On the loop's default executor a burst
of log-ins would queue ahead of everything else that uses it (aiohttp opens static files there,
so /widget.js waited seconds); on a pool of its own the burst waits only for itself.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class Passwords:
    """Hashing and checking, `threads` at a time; the rest wait in the pool's queue."""

    def __init__(self, threads: int = 1) -> None:
        self._pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="argon2")

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool, hash_password, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, verify_password, password_hash, password
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
