"""Replies as the platforms answer them: a 429 waits the platform's retry_after and goes out within seconds,
a blocked member is marked and not retried for ever, a long reply whose second part failed resends only that
part, and on Zalo no documented error cuts a member off."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import pytest

from bot.runtime import journal
from bot.channels.telegram import build_application
from bot.service import wire_telegram
from bot.channels.zalo import ZaloClient
from bot.channels.zalo import deliverer as zalo_deliverer
from bot.runtime.conversation import Conversation
from bot.runtime.delivery import TryLater, Undeliverable
from bot.runtime.sender import Sender
from bot.settings import Settings
from handlers.machinery.messages import Reply
from handlers.machinery.outbox import OutgoingMessage, enqueue
from models import ChannelAccount, InboundUpdate, Outbox, session_scope
from models.inbound import InboundStatus
from models.outbox import OutboxStatus
from tests.conftest import Chat, add_member, invite
from tests.fake_telegram import FakeTelegram, refusal
from tests.fake_zalo import FakeZalo
from tests.test_telegram import Officer, running_bot


async def test_a_reply_refused_with_429_goes_out_after_retry_after(engine: Engine, settings: Settings) -> None:
    refused: list[float] = []

    def busy_once(method: str, params: dict[str, Any]):  # type: ignore[no-untyped-def]
        if method == "sendMessage" and "chưa đăng ký" in params.get("text", "") and not refused:
            refused.append(time.monotonic())
            return refusal(429, "Too Many Requests: retry after 2", retry_after=2)
        return None

    with FakeTelegram() as fake:
        fake.fault = busy_once
        async with running_bot(fake, engine, settings):
            started = time.monotonic()
            fake.send_text(7001, "xin chào")
            [reply] = await asyncio.to_thread(fake.wait_for_replies, 7001, 0, 0.3, 20)
            waited = time.monotonic() - started
    assert refused and "chưa đăng ký" in reply["text"]
    assert 2 <= waited < 10  # the platform's two seconds, not the recovery's minutes


async def test_a_member_who_blocked_the_bot_is_marked_and_the_reply_not_retried(engine: Engine,
                                                                                settings: Settings) -> None:
    calls: list[str] = []

    def blocked(method: str, params: dict[str, Any]):  # type: ignore[no-untyped-def]
        if method == "sendMessage" and int(params["chat_id"]) == 7002 and calls.append("x") is None and len(calls) > 1:
            return refusal(403, "Forbidden: bot was blocked by the user")
        return None

    with FakeTelegram() as fake:
        fake.fault = blocked
        async with running_bot(fake, engine, settings):
            officer = Officer(fake, 7002)
            await officer.say(f"/start {invite(engine, '21040')}")  # the first message gets through
            fake.send_text(7002, "/nhiemvu")
            await asyncio.sleep(1.5)
    with Session(engine) as session:
        account = session.exec(select(ChannelAccount).where(ChannelAccount.external_id == "7002")).one()
        statuses = session.exec(select(InboundUpdate.status)).all()
    assert account.blocked
    assert InboundStatus.DONE not in statuses  # nothing left for keep_recovering to retry every minute


async def test_a_long_reply_whose_second_part_failed_resends_only_that_part(engine: Engine,
                                                                            settings: Settings) -> None:
    pieces: list[str] = []
    failing = {"on": True}

    def second_part_fails(method: str, params: dict[str, Any]):  # type: ignore[no-untyped-def]
        if method == "sendMessage" and int(params["chat_id"]) == 7003:
            if params["text"].startswith("Phần hai") and failing["on"]:
                return refusal(429, "Too Many Requests: retry after 0", retry_after=0)  # retried at once
            pieces.append(params["text"][:8])
        return None

    with FakeTelegram() as fake:
        fake.fault = second_part_fails
        configured = Settings(database_url=settings.database_url, telegram_token=fake.token,
                              telegram_api_url=fake.api_url, _env_file=None)
        application = build_application(configured)
        async with application:
            conversation = Conversation(engine, configured)
            wire_telegram(application.bot, conversation)
            add_member(engine, "21040", 7003)
            entry = await conversation.store(Chat(conversation, "7003", "telegram").incoming("/nhiemvu"))
            assert entry is not None
            long_text = "Phần một " + "x" * 4000 + "\n\n" + "Phần hai " + "y" * 100  # two messages on Telegram
            with session_scope(engine) as session:  # processed: its reply is this long one
                row = journal.claim(session, entry)
                assert row is not None
                journal.finish(session, row, InboundStatus.DONE, [Reply(long_text)])
            with pytest.raises(TryLater):  # the platform still fails after the quick retries
                await conversation._send(entry, "telegram", "7003", [Reply(long_text)])
            failing["on"] = False
            await conversation.recover()  # what keep_recovering does a few minutes later
    assert pieces == ["Phần một", "Phần hai"]  # the first part once, the second once it could go


async def test_zalo_errors_never_mark_a_member_unreachable(engine: Engine) -> None:
    member = add_member(engine, "21040", 7004, channel="zalo")
    answers = iter([(403, "Internal server error"), (400, "Bad request"), (429, "Quota exceeded")])

    with FakeZalo() as fake:
        original = fake._call

        def refusing(method: str, params: dict[str, Any]):  # type: ignore[no-untyped-def]
            if method == "sendMessage":
                code, description = next(answers, (0, ""))
                if code:
                    return code, {"ok": False, "error_code": code, "description": description}
            return original(method, params)

        fake._call = refusing  # type: ignore[method-assign]
        client = ZaloClient(fake.api_url, fake.token)
        deliver = zalo_deliverer(client)
        outcomes = []
        for _ in range(3):
            try:
                await deliver("7004", Reply("Nhắc việc"))
            except Exception as error:  # noqa: BLE001
                outcomes.append(type(error))
        with session_scope(engine) as session:
            enqueue(session, [OutgoingMessage("z:1", "reminder", member, "zalo", "7004", "Nhắc việc")])
        report = await Sender(engine, {"zalo": deliver}, backoff=0.01).drain()
        await client.close()
    assert outcomes == [TryLater, Undeliverable, TryLater]
    assert report.sent == 1 and report.unreachable == 0
    with Session(engine) as session:
        assert not session.exec(select(ChannelAccount.blocked).where(ChannelAccount.member_id == member)).one()
        assert session.exec(select(Outbox.status)).one() == OutboxStatus.SENT
