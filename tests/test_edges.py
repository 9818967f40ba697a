"""Edges parse, check and call one action; only actions write and push (docs/architecture.md).

The HTTP views and socket namespaces are read as source: none opens a write transaction, writes
through a session, reaches for the notifier, or pushes to a room itself (an answer to the
asking connection, `emit(..., to=sid)`, is the edge's own)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EDGES = [
    "consult/edges/admin_views.py",
    "consult/edges/admin_accounts.py",
    "consult/edges/console_views.py",
    "consult/edges/console_ns.py",
    "widget/visitor_ns.py",
    "widget/views.py",
]
# Deps' ways into a write: a transaction of its own, under the routing lock, on the writer.
WRITES = {"write", "routing", "transaction", "begin"}
SESSION_WRITES = {"add", "add_all", "delete", "flush", "commit", "merge"}
# Reads may run at the edge (`session.execute(select(...))`); writing statements may not.
STATEMENTS = {"insert", "update", "delete"}


def offences(source: str) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Attribute) and node.attr == "notifier":
            found.append(f"{where}: uses the notifier")
        if isinstance(node, ast.ImportFrom) and node.module == "sqlalchemy":
            found += [f"{where}: imports {a.name}" for a in node.names if a.name in STATEMENTS]
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name, owner = node.func.attr, node.func.value
        if name in WRITES:
            found.append(f"{where}: opens a write ({name})")
        if name in SESSION_WRITES and isinstance(owner, ast.Name) and owner.id == "session":
            found.append(f"{where}: session.{name}")
        if name == "emit" and any(k.arg == "room" for k in node.keywords):
            found.append(f"{where}: pushes to a room")
    return found


@pytest.mark.parametrize("path", EDGES)
def test_edges_leave_writes_and_pushes_to_actions(path: str) -> None:
    assert offences((ROOT / path).read_text()) == []


def test_the_check_sees_each_kind_of_offence() -> None:
    bad = """
from sqlalchemy import update
async def h(self, deps, session):
    async with deps.write() as s:
        pass
    async with deps.routing() as s:
        pass
    session.add(1)
    await session.execute(update(X))
    await deps.notifier.emit("x", 1, room="r", namespace="/n")
    await self.emit("x", 1, room="r")
    await self.emit("session", 1, to="sid")
    async with deps.sessions() as s:
        await s.get(X, 1)
"""
    assert sorted(offences(bad), key=lambda o: (int(o.split()[1].rstrip(":")), o)) == [
        "line 2: imports update",
        "line 4: opens a write (write)",
        "line 6: opens a write (routing)",
        "line 8: session.add",
        "line 10: pushes to a room",
        "line 10: uses the notifier",
        "line 11: pushes to a room",
    ]
