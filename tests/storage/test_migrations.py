from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from prilavok.storage.db import alembic_config, create_engine, migrate
from prilavok.storage.models import Base


async def test_migrations_create_every_table_and_are_idempotent(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    await migrate(engine)
    await migrate(engine)  # a second start changes nothing and does not fail
    async with engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
    await engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_migrations_match_the_models(empty_db_url: str) -> None:
    """Autogenerate against the migrated schema finds nothing: models and migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_engine(empty_db_url)
    await migrate(engine)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": False}), Base.metadata
            )
        )
    await engine.dispose()
    assert diff == []


async def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    await migrate(engine)
    async with engine.connect() as conn:
        mode = await conn.scalar(text("PRAGMA journal_mode"))
        fks = await conn.scalar(text("PRAGMA foreign_keys"))
    await engine.dispose()
    assert mode == "wal"
    assert fks == 1
