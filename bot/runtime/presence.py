"""Whether a bot process is using the database, so that `restore` does not pull it from under a running bot.

Every running bot holds a shared lock for as long as it serves, released by the operating system or the
server when the process dies, however it dies: on PostgreSQL a shared advisory lock on its own connection,
on SQLite an flock on a file beside the database. `restore` asks for the lock exclusively: it gets it only
when no bot holds it.

A PostgreSQL server that restarts under a running bot drops every session, and the advisory lock with it; the
bot lives on (it waits out the outage). So a keeper thread looks at the lock's connection every few seconds
and, once the server is back, takes the lock again on a new connection.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from pathlib import Path
from typing import IO

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url

PRESENCE_KEY = 0x7464_6302  # beside bot/runtime/leader.py's LOCK_KEY
CHECK_EVERY = 2.0  # seconds between two looks at the lock's connection
log = logging.getLogger("tdc.presence")


class Presence:
    """Held by a running bot (a context manager)."""

    def __init__(self, engine: Engine, check_every: float = CHECK_EVERY) -> None:
        self.engine, self.check_every = engine, check_every
        self._connection: Connection | None = None
        self._file: IO[bytes] | None = None
        self._stop = threading.Event()
        self._keeper: threading.Thread | None = None

    def __enter__(self) -> Presence:
        if self.engine.dialect.name == "postgresql":
            self._take()
            self._keeper = threading.Thread(target=self._keep, name="presence", daemon=True)
            self._keeper.start()
        else:
            self._file = _lock_path(self.engine).open("ab")
            fcntl.flock(self._file, fcntl.LOCK_SH)
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._keeper is not None:
            self._keeper.join()
        if self._connection is not None:  # unlocked first: a pooled connection keeps its session, and its locks
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock_shared(:key)"), {"key": PRESENCE_KEY})
                self._connection.commit()
            except Exception:  # noqa: BLE001 (a connection already gone holds no lock)
                pass
            finally:
                self._connection.close()
        if self._file is not None:
            self._file.close()

    def _take(self) -> None:
        connection = self.engine.connect()
        try:
            connection.execute(text("SELECT pg_advisory_lock_shared(:key)"), {"key": PRESENCE_KEY})
            connection.commit()
        except Exception:
            connection.close()
            raise
        self._connection = connection

    def _keep(self) -> None:
        """While the bot runs: the lock taken again whenever its connection was lost."""
        while not self._stop.wait(self.check_every):
            if self._held():
                continue
            try:
                self._take()
                log.info("presence lock taken again after the database came back")
            except Exception:  # noqa: BLE001 (still away: tried again at the next look)
                pass

    def _held(self) -> bool:
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
            return True
        except Exception:  # noqa: BLE001 (the connection is gone, and the lock with it)
            try:
                self._connection.close()
            except Exception:  # noqa: BLE001
                pass
            self._connection = None
            return False


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
