"""Several processes as one bot: a process that starts recovers what a dead process left in the journal, and
leaves to a live one what it stored moments ago and is still answering (a reply it holds back for the
platform's retry_after would otherwise go out twice)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bot.runtime import journal
from bot.runtime.process import HOST
from bot.runtime.conversation import Conversation
from handlers.machinery.messages import Reply
from models import InboundUpdate
from tests.conftest import Chat
from tests.bot_processes import BotProcesses
from tests.databases import BACKEND


def stored_by(engine: Engine, conversation: Conversation, chat: str, holder: str) -> int:
    """An update some process stored and has not answered yet."""
    entry = journal.record(engine, Chat(conversation, user_id=chat).incoming("/help"))
    assert entry is not None
    with Session(engine) as session:
        session.exec(update(InboundUpdate).where(col(InboundUpdate.id) == entry).values(handled_by=holder))  # type: ignore[call-overload]
        session.commit()
    return entry


def test_a_process_that_starts_takes_only_what_no_live_process_holds(conversation: Conversation,
                                                                     engine: Engine) -> None:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    dead = f"{HOST}:{finished.stdout.strip()}:deadbeef"  # a process that was killed, on this machine
    alive = f"{HOST}:{os.getpid()}:feedf00d"  # another process, still running (this pid, another token)
    stored_by(engine, conversation, "7001", dead)
    stored_by(engine, conversation, "7002", alive)
    stored_by(engine, conversation, "7003", "elsewhere.example:4242:0badc0de")  # another machine, lately
    answered: list[str] = []

    async def record(chat_id: str, reply: Reply) -> None:
        answered.append(chat_id)

    conversation.connect("test", record)
    assert asyncio.run(conversation.recover()) == 1
    assert answered == ["7001"]


@pytest.mark.skipif(BACKEND != "postgresql", reason="several processes share a PostgreSQL database")
def test_the_notice_of_an_update_accepted_just_before_a_sigterm_goes_out_within_seconds(engine: Engine,
                                                                                        db_url: str) -> None:
    import signal
    import time

    from bot.cli.seed import seed
    from models import session_scope
    from models.organisation import Role
    from tests.conftest import invite
    from tests.fake_telegram import FakeTelegram

    with session_scope(engine) as session:
        seed(session)
    manager, officer = 7101, 7102
    with FakeTelegram() as fake:
        bots = BotProcesses(fake, db_url, 3)
        try:
            bots.healthy()
            bots.say(0, manager, f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")
            bots.say(1, officer, f"/start {invite(engine, '21040')}")
            for step, answer in enumerate(("/capnhat I.2", "1", "Đã tuyên truyền", "3", "/boqua")):
                bots.say(step % 2, officer, answer)  # the form's steps alternate between two processes
            assert "Đã lưu: cập nhật u1" in bots.say(1, officer, "1")
            accepted = len(fake.messages_to(officer))
            bots.post(2, manager, "/duyet nhan u1")
            bots.processes[2].send_signal(signal.SIGTERM)  # stored, not yet answered: it answers while stopping
            stopped = time.monotonic()
            told = bots.wait_for(officer, lambda texts: len(texts) > accepted, 15)  # waited on, not slept
            assert "Sở KH&CN đã tiếp nhận cập nhật u1" in told[-1] and time.monotonic() - stopped < 15
            bots.say(0, manager, "/nhiemvu")  # the others still serve; the notice went out once
            assert sum("đã tiếp nhận cập nhật u1" in text for text in bots.wait_for(officer, bool, 1)) == 1
        finally:
            bots.stop()
