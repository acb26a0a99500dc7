"""Hearing, in every process, that some process committed a person's act to the outbox: PostgreSQL's NOTIFY
(sent by handlers/machinery/outbox.py in the act's own transaction, so delivered only once it is committed),
LISTENed to on a connection of its own, on a thread of its own. Each notification pokes this process's courier,
which then sends what nobody has tried yet — a notice queued by a process that was stopped or killed goes out
within seconds from another. SQLite serves one process: nothing to hear, the courier's short poll suffices.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable

import psycopg

from models.db import libpq_url
from models.outbox import WAKE_CHANNEL

log = logging.getLogger("tdc.wakeup")
HEARD_EVERY = 1.0  # seconds the listening thread waits for a notification before it looks whether to stop
RECONNECT_AFTER = 2.0  # seconds, while the server is away


async def listen(database_url: str, poke: Callable[[], None], stop: asyncio.Event) -> None:
    """Until `stop`: calls `poke` (from the listening thread) at each notification, and once after each
    reconnection (what was committed while it was away). Returns at once on SQLite."""
    if not database_url.startswith("postgresql"):
        return
    stopping = threading.Event()
    thread = asyncio.get_running_loop().run_in_executor(None, _listen, libpq_url(database_url), poke, stopping)
    await stop.wait()
    stopping.set()
    await thread


def _listen(url: str, poke: Callable[[], None], stopping: threading.Event) -> None:
    while not stopping.is_set():
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
                connection.execute(f"LISTEN {WAKE_CHANNEL}")
                poke()
                while not stopping.is_set():
                    for _ in connection.notifies(timeout=HEARD_EVERY):
                        poke()
        except psycopg.Error as error:
            log.warning("not listening for notices; trying again", extra={"error": type(error).__name__})
            stopping.wait(RECONNECT_AFTER)
