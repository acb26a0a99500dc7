"""Several processes as one bot: a process that starts recovers what a dead process left in the journal, and
leaves to a live one what it stored moments ago and is still answering (a reply it holds back for the
platform's retry_after would otherwise go out twice)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bot.runtime import journal
from bot.runtime.process import HOST
from bot.runtime.conversation import Conversation
from handlers.machinery.messages import Reply
from models import InboundUpdate
from tests.conftest import Chat


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
