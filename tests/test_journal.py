"""The inbound journal: an update is stored once, processed once, answered; a crash loses nothing, and a
handler that fails is recorded, apologised for, and does not hold up the messages behind it."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.runtime import journal
from bot.runtime.conversation import Conversation
from handlers import dispatcher
from handlers.machinery.messages import Incoming, Reply
from models import InboundUpdate, ProgressUpdate
from models.inbound import InboundStatus
from tests.conftest import NOW, Chat, add_member


def message(officer: Chat, text: str, update_id: str) -> Incoming:
    return Incoming(channel=officer.channel, chat_id=officer.user_id, user_id=officer.user_id, time=NOW, text=text,
                    update_id=update_id)


def statuses(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {e.update_id: e.status for e in session.exec(select(InboundUpdate))}


def test_a_redelivered_update_is_processed_once(officer: Chat, engine: Engine) -> None:
    conversation = officer.conversation
    for update_id, text in [("u1", "/capnhat III.2"), ("u2", "khong phat sinh"), ("u3", "/boqua")]:
        conversation.handle_sync(message(officer, text, update_id))
    assert "Lưu cập nhật này?" in conversation.handle_sync(message(officer, "/boqua", "u4"))[-1].text
    saved = conversation.handle_sync(message(officer, "Lưu", "u9"))
    assert saved[0].text.startswith("Đã lưu")
    assert conversation.handle_sync(message(officer, "Lưu", "u9")) == []  # the platform sent it again
    assert conversation.handle_sync(message(officer, "khong phat sinh", "u2")) == []
    with Session(engine) as session:
        assert len(session.exec(select(ProgressUpdate)).all()) == 1
    assert set(statuses(engine).values()) == {InboundStatus.ANSWERED}


def test_a_failing_handler_is_recorded_and_apologised_for_and_the_next_message_goes_on(
        officer: Chat, engine: Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(ctx, args):  # type: ignore[no-untyped-def]
        raise RuntimeError("the tasks query broke")

    monkeypatch.setitem(dispatcher.COMMANDS, "nhiemvu", (dispatcher.OWN, broken))
    conversation = officer.conversation
    apology = conversation.handle_sync(message(officer, "/nhiemvu", "f1"))
    assert apology[0].text.startswith("Xin lỗi, hệ thống vừa gặp sự cố")
    assert "Bạn cập nhật nhiệm vụ nào?" in conversation.handle_sync(message(officer, "/capnhat", "f2"))[0].text
    with Session(engine) as session:
        failed = session.exec(select(InboundUpdate).where(InboundUpdate.update_id == "f1")).one()
    assert failed.status == InboundStatus.FAILED and "RuntimeError: the tasks query broke" in failed.error
    assert statuses(engine)["f2"] == InboundStatus.ANSWERED


async def test_after_a_crash_stored_updates_are_processed_and_kept_replies_sent(
        officer: Chat, engine: Engine) -> None:
    conversation: Conversation = officer.conversation
    # The process died right after storing one update, and another one's replies never went out.
    unsent = journal.record(engine, message(officer, "/capnhat III.2", "c1"))
    assert unsent is not None
    conversation.process(unsent)
    pending = journal.record(engine, message(officer, "Hoàn thành", "c2"))
    assert statuses(engine)["c1"] == InboundStatus.DONE and statuses(engine)["c2"] == InboundStatus.PENDING

    restarted = Conversation(engine, conversation.settings, clock=lambda: NOW)
    sent: list[str] = []

    async def send(chat_id: str, reply: Reply) -> None:
        sent.append(reply.text)

    restarted.connect(officer.channel, send)
    assert await restarted.recover() == 2
    assert "Bạn cập nhật nhiệm vụ nào?" not in sent[0] and "Tình hình thực hiện nhiệm vụ?" in sent[0]
    assert "Kết quả đã thực hiện?" in sent[-1]  # c2 was answered as the status, in order, once
    assert statuses(engine) == {**statuses(engine), "c1": InboundStatus.ANSWERED, "c2": InboundStatus.ANSWERED}
    assert pending is not None and journal.record(engine, message(officer, "Hoàn thành", "c2")) is None
    assert await restarted.recover() == 0


async def test_replies_kept_back_by_an_outage_go_out_later_and_only_once(officer: Chat, engine: Engine) -> None:
    conversation: Conversation = officer.conversation
    sent: list[str] = []
    outage = {"on": True}

    async def send(chat_id: str, reply: Reply) -> None:
        if outage["on"]:
            raise ConnectionError("Telegram is away")
        sent.append(reply.text)

    conversation.connect(officer.channel, send)
    try:
        await conversation.receive(message(officer, "/nhiemvu", "o1"))
    except ConnectionError:
        pass  # the channel's task logs it; the journal keeps the replies
    assert statuses(engine)["o1"] == InboundStatus.DONE and sent == []
    assert await conversation.recover() == 0  # still away: nothing sent, nothing lost
    outage["on"] = False
    assert await conversation.recover(settled=timedelta(minutes=2)) == 0  # too recent: may still be on its way
    assert await conversation.recover(settled=timedelta(0)) == 1
    assert "Nhiệm vụ năm 2025 của UBND xã Bình Sơn" in sent[0]
    assert statuses(engine)["o1"] == InboundStatus.ANSWERED
    assert await conversation.recover(settled=timedelta(0)) == 0


def test_two_workers_taking_one_stored_update_at_once_answer_it_once(officer: Chat, engine: Engine) -> None:
    """A recovery beside a slow answer: both run the handler, one conditional write decides who answers."""
    conversation = officer.conversation
    for round_ in range(6):
        entry = journal.record(engine, message(officer, "/nhiemvu", f"twice{round_}"))
        assert entry is not None
        start = threading.Barrier(2)

        def take() -> list[Reply]:
            start.wait()
            return conversation.process(entry)

        with ThreadPoolExecutor(2) as workers:
            answers = [future.result() for future in [workers.submit(take), workers.submit(take)]]
        assert sorted(len(replies) > 0 for replies in answers) == [False, True]  # one answer, one silence
        assert "Nhiệm vụ năm 2025 của UBND xã Bình Sơn" in next(r for r in answers if r)[0].text
        assert statuses(engine)[f"twice{round_}"] == InboundStatus.DONE


def test_a_polled_batch_is_stored_together_and_what_came_before_is_not_stored_again(
        officer: Chat, engine: Engine) -> None:
    first = journal.record(engine, message(officer, "/nhiemvu", "b1"))
    ids = journal.record_many(engine, [message(officer, "/nhacnho", "b2"), message(officer, "/nhiemvu", "b1"),
                                       message(officer, "/help", "b3")])
    assert first is not None and ids[1] is None and None not in (ids[0], ids[2]) and len({first, *ids}) == 4
    assert statuses(engine) == {**statuses(engine), "b2": InboundStatus.PENDING, "b3": InboundStatus.PENDING}


async def test_replies_sent_together_are_marked_answered_together(officer: Chat, engine: Engine) -> None:
    """Group commit: updates answered while a mark is being written are marked by the next one statement."""
    conversation: Conversation = officer.conversation
    sent: list[str] = []

    async def send(chat_id: str, reply: Reply) -> None:
        await asyncio.sleep(0)
        sent.append(reply.text)

    conversation.connect(officer.channel, send)
    officers = [Chat(conversation, user_id=str(8000 + n)) for n in range(20)]  # twenty chats: answered side by side
    for one in officers:
        add_member(engine, "21040", int(one.user_id), channel=one.channel)
    entries = [journal.record(engine, message(one, "/nhacnho", f"g{n}")) for n, one in enumerate(officers)]
    marks: list[str] = []

    def seen(conn, cursor, statement: str, *_: object) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith("UPDATE inbound_update SET status"):
            marks.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        await asyncio.gather(*(conversation.answer(entry or 0, one.channel, one.user_id)
                               for entry, one in zip(entries, officers)))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(sent) == 20
    assert {statuses(engine)[f"g{n}"] for n in range(20)} == {InboundStatus.ANSWERED}
    assert 1 <= len(marks) < 20  # one statement marked several
