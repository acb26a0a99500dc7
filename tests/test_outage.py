"""Staying up: the polling bot outlives a PostgreSQL outage and answers what arrived meanwhile once the
database is back; an update the database would refuse (a NUL in a file's name) is cleaned, never a crash
loop; one odd update never blocks the others."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.runtime.presence import PRESENCE_KEY, Presence, bot_running
from bot.settings import Settings
from models import EvidenceFile, InboundUpdate, make_engine
from models.inbound import InboundStatus
from tests.conftest import invite
from tests.databases import BACKEND
from tests.fake_telegram import FakeTelegram
from tests.outage import Relay
from tests.test_telegram import Officer, running_bot


@pytest.mark.skipif(BACKEND != "postgresql", reason="an outage of a database server: PostgreSQL's")
async def test_the_polling_bot_waits_out_an_eight_second_database_outage(db_url: str, settings: Settings) -> None:
    with Relay(db_url) as relay, FakeTelegram() as fake:
        engine = make_engine(relay.url)
        try:
            async with running_bot(fake, engine, Settings(database_url=relay.url, _env_file=None)):
                officer = Officer(fake, 3131)
                assert "Chào mừng" in await officer.say(f"/start {invite(engine, '21040')}")
                relay.cut()
                before = len(fake.messages_to(3131))
                fake.send_text(3131, "/nhiemvu")
                await asyncio.sleep(8)
                assert len(fake.messages_to(3131)) == before  # nothing to answer with while it is away
                relay.restore()
                replies = await asyncio.to_thread(fake.wait_for_replies, 3131, before, 0.3, 60)
                assert "Nhiệm vụ năm 2025 của UBND xã Bình Sơn" in replies[0]["text"]
                assert "UBND xã Bình Sơn" in await officer.say("/nhiemvu")  # and goes on as before
        finally:
            engine.dispose()


async def test_a_nul_in_a_files_name_is_cleaned_and_the_bot_goes_on(engine: Engine, settings: Settings) -> None:
    with FakeTelegram() as fake:
        async with running_bot(fake, engine, settings):
            officer = Officer(fake, 3232)
            await officer.say(f"/start {invite(engine, '21040')}")
            for answer in ("/capnhat I.2", "Hoàn thành", "Đã tuyên truyền", "3", "/boqua"):
                await officer.say(answer)
            received = await officer.document(b"%PDF-1.4 minutes", "bien\x00ban\u202egpj.exe")
            assert "bienbangpj.pdf" in received
            assert "UBND xã Bình Sơn" in await officer.say("/nhiemvu")
    with Session(engine) as session:
        assert session.exec(select(EvidenceFile.filename)).all() == ["bienbangpj.pdf"]
        assert InboundStatus.FAILED not in session.exec(select(InboundUpdate.status)).all()


@pytest.mark.skipif(BACKEND != "postgresql", reason="the server's sessions, and their locks, are PostgreSQL's")
def test_a_bot_holds_its_presence_again_once_the_database_is_back(engine: Engine) -> None:
    """`restore` refuses while a bot runs, also after the server restarted under it: every session is ended (as
    pg_terminate_backend ends this one), and the bot takes the lock again on a new one."""
    bot = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with Presence(bot, check_every=0.2):
            first = wait_for_holder(engine, lambda pid: pid is not None)
            with engine.connect() as connection:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            again = wait_for_holder(engine, lambda pid: pid not in (None, first))
            assert again is not None and bot_running(engine)
        assert wait_for_holder(engine, lambda pid: pid is None) is None  # let go when the bot stops
    finally:
        bot.dispose()


def wait_for_holder(engine: Engine, condition: Callable[[int | None], bool], seconds: float = 10) -> int | None:
    """The server process holding the presence lock once `condition` holds of it (or the last seen)."""
    deadline = time.monotonic() + seconds
    while True:
        with engine.connect() as connection:
            pid = connection.execute(text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = :low "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
                {"low": PRESENCE_KEY & 0xFFFF_FFFF}).scalar()
        if condition(pid) or time.monotonic() > deadline:
            return pid
        time.sleep(0.1)
