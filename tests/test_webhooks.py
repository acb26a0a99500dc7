"""Webhook mode: calls without the right secret are refused and not processed, on Telegram as on Zalo; the
health check says whether the database and the scheduler are alive."""

from __future__ import annotations

import asyncio
import time

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from tornado.netutil import bind_sockets

from bot.channels.telegram import TelegramInbox, build_application
from bot.channels.zalo import ZaloClient, ZaloPoller
from bot.conversation import Conversation
from bot.leader import SchedulerLeader
from bot.scheduler import ReminderCycle
from bot.sender import Sender
from bot.settings import Settings
from bot.webhooks import TELEGRAM_HEADER, ZALO_HEADER, server
from models import InboundUpdate
from tests.conftest import NOW, invite
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo

SECRET = "s3cret-webhook-token"


def telegram_update(update_id: int, text: str) -> dict:  # type: ignore[type-arg]
    user = {"id": 4321, "is_bot": False, "first_name": "An"}
    return {"update_id": update_id, "message": {"message_id": update_id, "date": int(time.time()), "from": user,
                                                "chat": {"id": 4321, "type": "private"}, "text": text}}


def zalo_update(message_id: str, text: str) -> dict:  # type: ignore[type-arg]
    return {"event_name": "message.text.received",
            "message": {"message_id": message_id, "date": int(time.time() * 1000), "text": text,
                        "from": {"id": "z-77", "name": "Dung"}, "chat": {"id": "z-77", "chat_type": "PRIVATE"}}}


async def wait_until(check, timeout: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_secrets_are_checked_and_good_calls_are_answered(engine: Engine, settings: Settings) -> None:
    with FakeTelegram() as telegram, FakeZalo() as zalo_api:
        settings = Settings(database_url=settings.database_url, telegram_token=telegram.token,
                            telegram_api_url=telegram.api_url, _env_file=None)
        conversation = Conversation(engine, settings, clock=lambda: NOW)
        application = build_application(settings)
        zalo = ZaloClient(zalo_api.api_url, zalo_api.token)
        leader = SchedulerLeader(engine, lambda: ReminderCycle(engine, Sender(engine, {}), lambda: NOW).start(
            "Asia/Ho_Chi_Minh"))
        async with application:
            inbox = TelegramInbox(application.bot, conversation)
            http = server(engine, SECRET, inbox, ZaloPoller(zalo, conversation), leader)
            sockets = bind_sockets(0, "127.0.0.1")
            http.add_sockets(sockets)
            base = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
            async with httpx.AsyncClient() as client:
                code = invite(engine, "21040")
                for headers in ({}, {TELEGRAM_HEADER: "wrong"}):
                    refused = await client.post(f"{base}/telegram", json=telegram_update(1, f"/start {code}"),
                                                headers=headers)
                    assert refused.status_code == 401
                wrong_header = await client.post(f"{base}/zalo", json=zalo_update("a", "xin chao"),
                                                 headers={TELEGRAM_HEADER: SECRET})  # Telegram's header on Zalo
                assert wrong_header.status_code == 401
                await asyncio.sleep(0.3)
                assert telegram.sent == [] and zalo_api.sent == []
                assert journal(engine) == []  # refused calls are not even stored

                accepted = await client.post(f"{base}/telegram", json=telegram_update(2, f"/start {code}"),
                                             headers={TELEGRAM_HEADER: SECRET})
                assert accepted.status_code == 200
                await wait_until(lambda: telegram.messages_to(4321))
                assert "đăng ký thành công" in telegram.messages_to(4321)[0]["text"]  # the refused code still works
                await asyncio.sleep(0.5)  # the welcome comes in several messages
                answered_before = len(telegram.messages_to(4321))
                again = await client.post(f"{base}/telegram", json=telegram_update(2, f"/start {code}"),
                                          headers={TELEGRAM_HEADER: SECRET})  # Telegram redelivers it
                await asyncio.sleep(0.3)
                assert again.status_code == 200 and len(telegram.messages_to(4321)) == answered_before
                answered = await client.post(f"{base}/zalo", json=zalo_update("b", "xin chao"),
                                             headers={ZALO_HEADER: SECRET})
                assert answered.status_code == 200
                await wait_until(lambda: zalo_api.messages_to("z-77"))
                assert "Bạn chưa đăng ký" in zalo_api.messages_to("z-77")[0]

                await conversation.drain()
                assert journal(engine) == [("telegram", "2", "answered"), ("zalo", "b", "answered")]

                health = await client.get(f"{base}/healthz")
                assert health.status_code == 503 and health.json()["scheduler"] == "nowhere"
                assert leader.try_lead()
                health = await client.get(f"{base}/healthz")
                assert health.status_code == 200 and health.json() == {"database": True, "scheduler": "here"}
            http.stop()
            leader.release()
        await zalo.close()


def journal(engine: Engine) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        return [(e.channel, e.update_id, e.status) for e in session.exec(select(InboundUpdate)
                                                                         .order_by(InboundUpdate.id))]
