"""A thousand rows in one INSERT with a handful of parameters.

SQLAlchemy's multi-row INSERT ("insertmanyvalues") binds every value of every row apart, and
that bookkeeping, not the database, is most of the cost of writing a batch of a thousand shop
events (asyncpg's arrays are no better: it checks every element's type in Python). Here the
whole batch is one JSON parameter, written by orjson and read back by the database: on
PostgreSQL by `json_populate_recordset` as rows of the table's type, on SQLite by `json_each`
(3.38+) with each value first converted by its column's bind processor, once per distinct
value, so that it is stored exactly as any other insert stores it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Row, Table, text
from sqlalchemy import column as sa_column


def insert_rows(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    on_conflict_nothing: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[Row[Any]]:
    """Inserts `rows` (all with the same keys); with `on_conflict_nothing` (the columns of a
    unique index) a row that conflicts is skipped. Answers the `returning` columns of the rows
    inserted, in no promised order."""
    if not rows:
        return []
    names = list(rows[0])
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote  # "group" is a column name, and a keyword
    listed = ", ".join(map(quote, names))
    tail = ""
    if on_conflict_nothing:
        tail += f" ON CONFLICT ({', '.join(map(quote, on_conflict_nothing))}) DO NOTHING"
    if returning:
        tail += f" RETURNING {', '.join(map(quote, returning))}"
    if dialect.name == "postgresql":
        # Each row an object keyed by column; PostgreSQL reads them as rows of the table's
        # own type (timestamps from their ISO text, JSON columns from the nested values).
        sql = (
            f"INSERT INTO {quote(table.name)} ({listed}) SELECT {listed} "
            f"FROM json_populate_recordset(NULL::{quote(table.name)}, CAST(:rows AS JSON))"
            f"{tail}"
        )
        batch = orjson.dumps(list(rows), default=str).decode()
    else:
        columns = [_stored(conn, table.c[name], [row[name] for row in rows]) for name in names]
        picked = ", ".join(f"value ->> {i}" for i in range(len(names)))
        # "WHERE true": SQLite's rule for an upsert clause after INSERT ... SELECT.
        sql = (
            f"INSERT INTO {quote(table.name)} ({listed}) SELECT {picked} "
            f"FROM json_each(:rows) WHERE true{tail}"
        )
        batch = orjson.dumps([list(row) for row in zip(*columns, strict=True)]).decode()
    result = conn.execute(text(sql), {"rows": batch})
    return result.all() if returning else []


def one_of(conn: Connection, column: ColumnElement[Any], values: Sequence[Any]) -> Any:
    """`column IN values` with the values as one JSON parameter: a thousand bound parameters
    cost more to render, each time, than the query costs to run."""
    if conn.dialect.name == "postgresql":
        source = "SELECT json_array_elements_text(CAST(:values AS JSON))"
    else:
        source = "SELECT value FROM json_each(:values)"
    listed = text(source).bindparams(values=orjson.dumps(list(values)).decode())
    return column.in_(listed.columns(sa_column("value", column.type)))


def _stored(conn: Connection, column: Any, raw: list[Any]) -> list[Any]:
    """A column's values as SQLite stores them (its bind processor: timestamps as text, JSON
    as its text), converted once per distinct value."""
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    if process is None:
        return raw
    memo: dict[Any, Any] = {}
    out = []
    for value in raw:
        if value is None:
            out.append(None)
        elif isinstance(value, dict | list):
            out.append(process(value))
        else:
            got = memo.get(value)
            if got is None:
                got = memo[value] = process(value)
            out.append(got)
    return out
