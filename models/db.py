"""Engine and sessions. SQLite is the embedded default; PostgreSQL takes the same URL form."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine


def utcnow() -> datetime:
    """Naive UTC: SQLite drops tzinfo anyway, so every timestamp is stored as naive UTC everywhere."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def make_engine(url: str) -> Engine:
    """SQL parameters (answers, names, file bytes) never appear in an error's text or a log: hide_parameters."""
    if url.startswith("sqlite:///"):
        owner_only(Path(url.removeprefix("sqlite:///")))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def libpq_url(url: str) -> str:
    """A PostgreSQL URL as libpq reads it (pg_dump, a bare psycopg connection): no SQLAlchemy driver name."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def owner_only(path: Path) -> None:
    """A database file (or a backup) readable by its owner only, created so when it is new (Nghị định
    13/2023/NĐ-CP): SQLite gives its -wal and -shm files the same mode."""
    if str(path) in ("", ":memory:"):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the bot and a CLI command use the file at once; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def upsert_insert_for(dialect: str, table: Any) -> Any:
    """An INSERT that can say ON CONFLICT …, in the dialect (`engine.dialect.name`) of one of the two databases
    we support."""
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


def init_db(engine: Engine) -> None:
    """Makes the database ready for this code: created at the newest schema when new, refused when behind."""
    from models.migrate import ensure_current

    ensure_current(engine)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: committed when the block ends normally, rolled back when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
