"""Zalo as the platform documents it, on a commune officer's phone: a stand-in server written from the
documented shapes (webhook bodies `{ok, result}`, 408 on empty polls, `display_name`, `photo` and `caption`,
getUpdates refused while a webhook is set) drives registration, /nhiemvu, a whole update by numbers and by
words, a captioned photo, /ngonngu → 2, /baocao → 1 and /duyet by number, in polling and in webhook mode. The
messages each way are counted (docs/architecture.md: "Channels", "On a phone")."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from tornado.netutil import bind_sockets

from bot.channels.zalo import ZaloClient
from bot.service import wire_zalo
from bot.runtime.conversation import Conversation
from bot.runtime.leader import SchedulerLeader
from bot.runtime.scheduler import ReminderCycle
from bot.runtime.sender import Sender
from bot.settings import Settings
from bot.channels.zalo import SECRET_HEADER as ZALO_HEADER
from bot.runtime.webhooks import server
from models import EvidenceFile, Member, ProgressUpdate
from models.organisation import Role
from tests.conftest import NOW, invite
from tests.fake_zalo import FakeZalo

SECRET = "zalo-webhook-secret-1"
PHOTO = b"\xff\xd8\xff\xe0" + b"\x01" * 1024
Send = Callable[[dict[str, Any]], Awaitable[None]]  # how an update reaches the bot: polled, or posted


class Phone:
    """One Zalo user: what they send, and the bot's messages back, counted."""

    def __init__(self, fake: FakeZalo, user: str, send: Send) -> None:
        self.fake, self.user, self.send = fake, user, send
        self.sent = self.received = 0

    async def say(self, text: str) -> str:
        return await self._exchange(self.fake.text_update(self.user, text))

    async def photo(self, content: bytes, caption: str) -> str:
        return await self._exchange(self.fake.image_update(self.user, content, caption))

    async def _exchange(self, update: dict[str, Any]) -> str:
        before = len(self.fake.messages_to(self.user))
        await self.send(update)
        replies = await asyncio.to_thread(self.fake.wait_for_replies, self.user, before, 0.2)
        self.sent, self.received = self.sent + 1, self.received + len(replies)
        return "\n".join(replies)


@asynccontextmanager
async def polling(fake: FakeZalo, engine: Engine, settings: Settings) -> AsyncIterator[Send]:
    client = ZaloClient(fake.api_url, fake.token)
    stop = asyncio.Event()
    task = asyncio.create_task(wire_zalo(client, Conversation(engine, settings, clock=lambda: NOW)).run(stop))

    async def send(update: dict[str, Any]) -> None:
        fake.push(update)

    try:
        yield send
    finally:
        stop.set()
        task.cancel()
        await client.close()


@asynccontextmanager
async def webhook(fake: FakeZalo, engine: Engine, settings: Settings) -> AsyncIterator[Send]:
    """The bot's webhook server, called as Zalo calls it: a documented body, the secret header."""
    client = ZaloClient(fake.api_url, fake.token)
    conversation = Conversation(engine, settings, clock=lambda: NOW)
    leader = SchedulerLeader(engine, lambda: ReminderCycle(engine, Sender(engine, {}), lambda: NOW).start(
        "Asia/Ho_Chi_Minh"))
    poller = wire_zalo(client, conversation)
    http = server(engine, SECRET, [poller.hook()], leader)
    sockets = bind_sockets(0, "127.0.0.1")
    http.add_sockets(sockets)
    async with httpx.AsyncClient() as web:
        async def send(update: dict[str, Any]) -> None:
            answer = await web.post(f"http://127.0.0.1:{sockets[0].getsockname()[1]}/zalo",
                                    json={"ok": True, "result": update}, headers={ZALO_HEADER: SECRET})
            assert answer.status_code == 200

        try:
            yield send
        finally:
            http.stop()
            await conversation.drain()
            await client.close()


async def a_commune_officer_and_a_manager(fake: FakeZalo, engine: Engine, send: Send) -> dict[str, int]:
    """The officer's and the manager's journeys; returns the messages counted on the way."""
    counts: dict[str, int] = {}
    officer, manager = Phone(fake, "zalo-officer", send), Phone(fake, "zalo-manager", send)

    welcome = await officer.say(invite(engine, "21040").lower())
    assert "đăng ký thành công cho UBND xã Bình Sơn" in welcome and "/nhiemvu" in welcome and "/capnhat" in welcome
    counts["registration replies"], counts["registration characters"] = officer.received, len(welcome)
    assert "I.1. Tiếp tục tổ chức quán triệt" in await officer.say("/nhiemvu")

    officer.sent = officer.received = 0  # a typical update by numbers: task, status and percent, a line of result
    assert "\n5. II.3 " in await officer.say("/capnhat")
    assert "2. Đang thực hiện" in await officer.say("5")
    assert "Kết quả đã thực hiện?" in await officer.say("60%")  # in progress, 60 %: one message
    assert "Khó khăn" in await officer.say("Đã dự thảo kế hoạch")
    summary = await officer.say("không")  # an optional question skipped in words
    assert "• Tình trạng: Đang thực hiện\n• Tiến độ: 60%" in summary
    assert summary.endswith("1. Lưu\n2. Sửa một câu trả lời\n3. Hủy")
    saved = await officer.say("1")
    assert saved.startswith("Đã lưu: cập nhật u1") and "Tiến độ" not in saved  # the summary is not repeated
    counts["update messages sent"], counts["update messages received"] = officer.sent, officer.received

    await officer.say("/capnhat III.2")  # and by words, with a captioned photo
    await officer.say("hoan thanh")
    await officer.say("Cử 2 công chức dự lớp")
    await officer.say("35")
    await officer.say("bo qua")
    assert "Đã nhận Ảnh lớp học.jpg" in await officer.photo(PHOTO, "Ảnh lớp học")
    assert "Đã lưu: cập nhật u2" in await officer.say("luu")

    assert "2. English" in await officer.say("/ngonngu")
    assert "From now on I will write to you in English." in await officer.say("2")

    assert "chưa đăng ký" in await manager.say("xin chao")
    await manager.say(invite(engine, "SKHCN", Role.MANAGER))
    assert "\n1. Chưa báo cáo" in await manager.say("/baocao")
    assert "đơn vị chưa báo cáo" in await manager.say("1")
    queue = await manager.say("/duyet")
    assert "Chờ tiếp nhận: 2" in queue and "\n1. u1 · UBND xã Bình Sơn · II.3" in queue  # a page, numbered
    item = await manager.say("1")
    assert "Phạm Thị Dung" in item and "1. Tiếp nhận" in item  # the sender's display_name
    assert "Đã tiếp nhận: cập nhật u1 về nhiệm vụ II.3." in await manager.say("1")
    return counts


async def test_zalo_by_polling_after_a_webhook_was_set(engine: Engine, settings: Settings) -> None:
    with FakeZalo() as fake:
        fake.webhook = "https://old.example/zalo"  # left by an earlier run in webhook mode
        async with polling(fake, engine, settings) as send:
            counts = await a_commune_officer_and_a_manager(fake, engine, send)
        assert "deleteWebhook" in fake.calls
    assert counts == {"registration replies": 1, "registration characters": counts["registration characters"],
                      "update messages sent": 6, "update messages received": 6}
    assert counts["registration characters"] < 300
    with Session(engine) as session:
        assert session.exec(select(EvidenceFile.filename)).all() == ["Ảnh lớp học.jpg"]
        assert session.exec(select(Member.display_name).order_by(Member.id)).first() == "Phạm Thị Dung"
        assert len(session.exec(select(ProgressUpdate)).all()) == 2


async def test_zalo_by_webhook_with_documented_bodies(engine: Engine, settings: Settings) -> None:
    with FakeZalo() as fake:
        async with webhook(fake, engine, settings) as send:
            counts = await a_commune_officer_and_a_manager(fake, engine, send)
    assert counts["registration replies"] == 1 and counts["update messages sent"] == 6
