"""Whether a bot process is using the database, so that `restore` does not pull it from under a running bot.

Every running bot holds a shared lock for as long as it serves, released by the operating system or the
server when the process dies, however it dies: on PostgreSQL a shared advisory lock on its own connection,
on SQLite an flock on a file beside the database. `restore` asks for the lock exclusively: it gets it only
when no bot holds it.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url

PRESENCE_KEY = 0x7464_6302  # beside bot/leader.py's LOCK_KEY


class Presence:
    """Held by a running bot (a context manager)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        self._file: IO[bytes] | None = None

    def __enter__(self) -> Presence:
        if self.engine.dialect.name == "postgresql":
            self._connection = self.engine.connect()
            self._connection.execute(text("SELECT pg_advisory_lock_shared(:key)"), {"key": PRESENCE_KEY})
            self._connection.commit()
        else:
            self._file = _lock_path(self.engine).open("ab")
            fcntl.flock(self._file, fcntl.LOCK_SH)
        return self

    def __exit__(self, *_: object) -> None:
        if self._connection is not None:  # unlocked first: a pooled connection keeps its session, and its locks
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock_shared(:key)"), {"key": PRESENCE_KEY})
                self._connection.commit()
            finally:
                self._connection.close()
        if self._file is not None:
            self._file.close()


def bot_running(engine: Engine) -> bool:
    """True while any bot process serves this database."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            free = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": PRESENCE_KEY}).scalar()
            if free:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PRESENCE_KEY})
            connection.commit()
        return not free
    with _lock_path(engine).open("ab") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def _lock_path(engine: Engine) -> Path:
    return Path(str(make_url(str(engine.url)).database) + ".running")
