"""Prilavok's side of a run: a fresh database with operators, and their console cookies."""

from __future__ import annotations

import asyncio

import aiohttp
import asyncpg
from sqlalchemy import insert

from prilavok.consult.kernel.passwords import hash_password
from prilavok.storage.db import create_engine, migrate
from prilavok.storage.models import Operator

PASSWORD = "bench password 1"


async def fresh_postgres(admin_url: str, database: str) -> None:
    conn = await asyncpg.connect(admin_url, timeout=10)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


async def prepare(database_url: str, operators: int, capacity: int) -> list[str]:
    """Migrates an empty database and adds `operators` online operators; returns their logins."""
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        # One argon2 hash for all: hashing is slow on purpose, and the logins are all alike.
        password_hash = await asyncio.to_thread(hash_password, PASSWORD)
        logins = [f"bench{i:04d}" for i in range(operators)]
        rows = [
            {
                "login": login,
                "display_name": f"Operator {i}",
                "password_hash": password_hash,
                "role": "operator",
                "capacity": capacity,
                "status": "online",
            }
            for i, login in enumerate(logins)
        ]
        async with engine.begin() as conn:
            if rows:
                await conn.execute(insert(Operator), rows)
        return logins
    finally:
        await engine.dispose()


async def login_all(base_url: str, logins: list[str], concurrency: int = 4) -> list[str]:
    """Logs every operator in through `POST /console/login`; returns the `prilavok_op` cookies."""
    gate = asyncio.Semaphore(concurrency)

    async def one(login: str) -> str:
        async with gate, aiohttp.ClientSession() as own:
            body = {"login": login, "password": PASSWORD}
            async with own.post(f"{base_url}/console/login", json=body) as r:
                if r.status != 200:
                    raise RuntimeError(f"login {login}: {r.status} {await r.text()}")
                return r.cookies["prilavok_op"].value

    return list(await asyncio.gather(*(one(login) for login in logins)))
