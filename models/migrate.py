"""The schema's version: Alembic migrations in models/migrations, applied by `python -m bot db upgrade`.

A new, empty database is brought to the newest schema on first use (so `make run` needs no extra step).
A database with data that is behind is never changed silently: the bot refuses to start and says which
command to run, because a migration of official records should be a deliberate act, after a backup.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).with_name("migrations")
FIRST = "0001"  # the schema that create_all made before migrations existed


class SchemaBehind(Exception):
    """The database needs `python -m bot db upgrade` before the bot may use it."""

    def __init__(self, current: str | None, head: str) -> None:
        super().__init__(f"database schema is at {current or 'no version'}, the code needs {head}")
        self.current, self.head = current, head


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head() or ""


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_empty(engine: Engine) -> bool:
    return not inspect(engine).get_table_names()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Applies every migration not yet applied. A database made by create_all before migrations existed
    holds exactly revision 0001's tables, so it is stamped 0001 first and upgraded from there."""
    with engine.begin() as connection:
        config = _config(connection)
        tables = set(inspect(connection).get_table_names())
        if tables and "alembic_version" not in tables:
            command.stamp(config, FIRST)
        command.upgrade(config, revision)


def ensure_current(engine: Engine) -> None:
    """Creates a new database at the newest schema; refuses one that holds data and is behind."""
    if is_empty(engine):
        upgrade(engine)
        return
    revision = current(engine)
    if revision != head():
        raise SchemaBehind(revision, head())
