"""One scheduler at a time: of the bot processes sharing one PostgreSQL database, the one holding an advisory
lock runs the reminder jobs; the others wait and take over within `interval` seconds of its death, when the
server drops its connection and so its lock.

The lock lives on one connection kept open for as long as it is held. SQLite has no such lock and is meant
for one process: there the first process simply leads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("tdc.leader")
LOCK_KEY = 0x7464_6301  # "tdc" 1: any constant shared by every process of this bot


class SchedulerLeader:
    def __init__(self, engine: Engine, start: Callable[[], BaseScheduler], interval: float = 10.0) -> None:
        self.engine, self.start, self.interval = engine, start, interval
        self.scheduler: BaseScheduler | None = None
        self._connection: Connection | None = None

    @property
    def state(self) -> str:
        """"leading" or "standby", as /healthz reports it."""
        return "leading" if self.scheduler is not None and self.scheduler.running else "standby"

    def where(self) -> str:
        """Where the scheduler runs, as /healthz reports it: "here", "elsewhere" (another process holds the
        lock) or "nowhere"."""
        if self.state == "leading":
            return "here"
        if self.engine.dialect.name != "postgresql":
            return "nowhere"
        with self.engine.connect() as connection:
            held = connection.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid = :high AND objid = :low AND objsubid = 1 "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
                {"high": LOCK_KEY >> 32, "low": LOCK_KEY & 0xFFFF_FFFF}).scalar()
        return "elsewhere" if held else "nowhere"

    def try_lead(self) -> bool:
        """Takes the lock if it is free and starts the scheduler; True while this process leads."""
        if self._connection is not None:
            if self._still_held():
                return True
            self._step_down()
        if self.engine.dialect.name == "postgresql":
            connection = self.engine.connect()
            if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar():
                connection.close()
                return False
            connection.commit()
            self._connection = connection
        else:
            self._connection = self.engine.connect()
        self.scheduler = self.start()
        log.info("scheduler started", extra={"leader": True})
        return True

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    self.try_lead()
                except Exception:  # noqa: BLE001 (a database that is away: retry at the next interval)
                    log.warning("leader election failed", exc_info=True)
                    self._step_down()
                try:
                    await asyncio.wait_for(stop.wait(), self.interval)
                except TimeoutError:
                    pass
        finally:
            self.release()

    def release(self) -> None:
        self._step_down()

    def _still_held(self) -> bool:
        assert self._connection is not None
        try:
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
            return True
        except Exception:  # noqa: BLE001 (the connection is gone, and the lock with it)
            return False

    def _step_down(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.scheduler = None
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # noqa: BLE001
                pass
            self._connection = None
