"""A big export does not hold anyone up: at 2,000 units the workbook takes seconds to make; the manager is told
at once that it is coming, an officer's /capnhat meanwhile is answered as usual, and the file arrives after."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from bench.report import build
from bot.runtime import exports
from bot.settings import Settings
from handlers.machinery.messages import Deferred
from models import make_engine
from models.organisation import Role
from tests.conftest import NOW, invite
from tests.databases import Databases
from tests.fake_telegram import FakeTelegram
from tests.test_report import file_arrives
from tests.test_telegram import Officer, running_bot


async def test_an_officer_is_answered_while_a_large_workbook_is_made(databases: Databases) -> None:
    url = databases.empty()
    build(url, 1887)  # the 113 seeded units and 1,887 more, 3 updates on each of their tasks
    engine = make_engine(url)
    try:
        with FakeTelegram() as fake:
            async with running_bot(fake, engine, Settings(database_url=url, _env_file=None)):
                manager, officer = Officer(fake, 5151), Officer(fake, 5252)
                await manager.say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")
                await officer.say(f"/start {invite(engine, '21040')}")
                asked = await manager.say("/baocao xlsx")
                assert asked.startswith("Đang chuẩn bị tệp (khoảng 5 giây)")
                started = time.monotonic()
                assert "Tình hình thực hiện nhiệm vụ?" in await officer.say("/capnhat I.2")
                answered = time.monotonic() - started
                assert not any(m.get("caption") for m in fake.messages_to(5151))  # the file is still being made
                await file_arrives(fake, 5151, "Bảng tổng hợp năm 2025.", timeout=120)
            [document] = [d for d in fake.documents if d["chat_id"] == 5151]
        assert answered < 3
        assert load_workbook(BytesIO(document["content"]), read_only=True).sheetnames[0] == "Tổng hợp 2025"
    finally:
        engine.dispose()
        databases.drop(url)


async def test_an_export_process_that_dies_is_replaced_and_its_request_made_again(engine: Engine,
                                                                                   settings: Settings) -> None:
    """Killed while a workbook is asked for (out of memory, an operator): that file still comes, from a new
    export process, and so does the next one; a request whose process dies on each try is told in words."""
    later = Deferred("xlsx", 2025, NOW.date(), "vi")

    killed: set[int] = set()

    async def kill_the_worker() -> None:
        """Kills the export process as soon as there is one not killed yet (started on first use)."""
        while not (fresh := set(exports._pool._processes if exports._pool else ()) - killed):
            await asyncio.sleep(0.02)
        for pid in fresh:
            killed.add(pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    first = asyncio.create_task(exports.made(settings.database_url, later, settings.timezone))
    await kill_the_worker()
    made = await first
    assert made.attachment is not None and made.attachment.filename.endswith(".xlsx")
    again = await exports.made(settings.database_url, later, settings.timezone)
    assert again.attachment is not None

    with pytest.raises(exports.ExportDied):
        async def dies_each_time() -> None:
            for _ in range(exports.TRIES):
                await kill_the_worker()

        killer = asyncio.create_task(dies_each_time())
        try:
            await exports.made(settings.database_url, later, settings.timezone)
        finally:
            await killer
