"""A big export does not hold anyone up: at 2,000 units the workbook takes seconds to make; the manager is told
at once that it is coming, an officer's /capnhat meanwhile is answered as usual, and the file arrives after."""

from __future__ import annotations

import time
from io import BytesIO

from openpyxl import load_workbook

from bench.report import build
from bot.settings import Settings
from models import make_engine
from models.organisation import Role
from tests.conftest import invite
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
