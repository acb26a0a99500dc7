"""Files that take a while — a national year's workbook takes about a minute — made off the conversation's
path: the member is told at once that the file is coming (handlers/report.py), and it is made in a process of
its own, so that it holds neither the chat's transaction nor the interpreter every other chat is answered by,
then sent. A file lost to a restart is asked for again; nothing else depends on it.

The export process may die (out of memory, killed by an operator): the pool it belonged to is then broken for
good, so it is replaced, and each request it held is made once more in the new one; a request whose second
try dies too raises `ExportDied`, which the conversation answers plainly. The others go on."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from sqlmodel import Session

from handlers.machinery.messages import Deferred, Reply
from handlers.report import make_file
from models import make_engine
from reports.docx import Signer

log = logging.getLogger("tdc.exports")
TRIES = 2
_pool: ProcessPoolExecutor | None = None


class ExportDied(Exception):
    """The process making a file died on each try."""


def make(database_url: str, later: Deferred, zone_name: str, signer: Signer = Signer()) -> Reply:
    """The file, made from the database as it stands (what the child process runs; also the console's way)."""
    from zoneinfo import ZoneInfo

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return make_file(session, later, ZoneInfo(zone_name), signer)
    finally:
        engine.dispose()


async def made(database_url: str, later: Deferred, zone_name: str, signer: Signer = Signer()) -> Reply:
    """The file, made in the export process (one, started on first use: a fresh interpreter, not a fork of
    this threaded one)."""
    for _ in range(TRIES):
        pool = _current_pool()
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, make, database_url, later, zone_name, signer)
        except BrokenProcessPool:
            log.warning("export process died; replaced", extra={"kind": later.kind})
            _replace(pool)
    raise ExportDied(later.kind)


def _current_pool() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return _pool


def _replace(broken: ProcessPoolExecutor) -> None:
    """Drops a broken pool, once however many requests it failed: the next request starts a fresh one."""
    global _pool
    if _pool is broken:
        _pool = None
        broken.shutdown(wait=False, cancel_futures=True)
