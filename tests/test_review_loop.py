"""The review loop as two officers of UBND xã Bình Sơn and a manager of Sở KH&CN live it, over the stand-in
Bot API with the bot's courier running: an update with a captioned photo is returned (a note of "." is not a
reason), seen as returned in every view, revised by changing one answer, and accepted; two extension requests
are decided, the first from its own message's buttons; an absence is covered. Notices reach the other side
in seconds, measured here."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.engine import Engine

from bot.channels.telegram import CHANNEL, build_application, deliverer
from bot.service import wire_telegram
from bot.runtime.conversation import Conversation
from bot.runtime.sender import Courier, Sender
from bot.settings import Settings
from models.organisation import Role
from tests.conftest import NOW, invite
from tests.fake_telegram import FakeTelegram
from tests.test_telegram import Officer

A, B, MANAGER = 8801, 8802, 8901
PHOTO = b"\xff\xd8\xff\xe0" + b"\x00" * 2048
SECONDS = 10  # a notice reaches the other side within this, not at the next reminder cycle (10 minutes)


@asynccontextmanager
async def bot_with_courier(fake: FakeTelegram, engine: Engine, settings: Settings) -> AsyncIterator[None]:
    """As `python -m bot run` wires it: the journal-first inbox, and the courier that delivers what a
    person's act queued as soon as it is committed."""
    settings = Settings(database_url=settings.database_url, telegram_token=fake.token, telegram_api_url=fake.api_url,
                        _env_file=None)
    application = build_application(settings)
    async with application:
        conversation = Conversation(engine, settings, clock=lambda: NOW)
        inbox = wire_telegram(application.bot, conversation)
        courier = Courier(Sender(engine, {CHANNEL: deliverer(application.bot)}))
        conversation.on_queued = courier.wake
        stop = asyncio.Event()
        running = [asyncio.create_task(inbox.poll(stop)), asyncio.create_task(courier.run(stop))]
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*running)
            await conversation.drain()


async def notice(fake: FakeTelegram, chat: int, since: int) -> tuple[dict[str, Any], float]:
    """The first message a chat receives after `since`, and how long it took to come."""
    started = time.monotonic()
    received = await asyncio.to_thread(fake.wait_for_replies, chat, since, 0.2, 30)
    return received[0], time.monotonic() - started


def press_on(fake: FakeTelegram, chat: int, message: dict[str, Any], label: str) -> None:
    """Press a button on that message, not on the newest one that has the label."""
    [data] = [b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row
              if b["text"] == label]
    fake.press_data(chat, data, message)


async def test_return_revise_accept_two_extensions_and_an_absence(engine: Engine, settings: Settings) -> None:
    with FakeTelegram() as fake:
        async with bot_with_courier(fake, engine, settings):
            officer, colleague, manager = Officer(fake, A), Officer(fake, B), Officer(fake, MANAGER)
            await officer.say(f"/start {invite(engine, '21040')}")
            await colleague.say(f"/start {invite(engine, '21040')}")
            await manager.say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")

            # An update with a captioned photo.
            await officer.say("/capnhat III.1")
            await officer.press("Đang thực hiện")
            for answer in ("60%", "Đã tập huấn 2 lớp", "80", "70", "/boqua"):
                await officer.say(answer)
            received = await officer._exchange(lambda: fake.send_picture(A, PHOTO, caption="Ảnh lớp tập huấn"))
            assert "Đã nhận Ảnh lớp tập huấn.jpg" in received
            assert "Đã lưu: cập nhật u1" in await officer.press("Lưu")
            assert "chờ Sở KH&CN tiếp nhận" in await officer.say("/nhiemvu")

            # Returned: "." is no reason; the confirmation names the act; the unit hears of it in seconds.
            assert "Tài liệu kèm theo: Ảnh lớp tập huấn.jpg" in await manager.say("/duyet")
            await manager.press("Trả lại")
            assert "Vui lòng nói rõ" in await manager.say(".")
            await manager.say("Đề nghị bổ sung số lớp")
            assert manager.buttons() == ["Trả lại", "Sửa một câu trả lời", "Hủy"]
            before_a, before_b = len(fake.messages_to(A)), len(fake.messages_to(B))
            assert "Đã trả lại đơn vị: cập nhật u1 về nhiệm vụ III.1." in await manager.press("Trả lại")
            returned, waited = await notice(fake, A, before_a)
            assert waited < SECONDS and "Đề nghị bổ sung số lớp" in returned["text"]
            assert "Đề nghị bổ sung số lớp" in (await notice(fake, B, before_b))[0]["text"]

            # Every view shows it returned, with the note and the day to send it again by.
            shown = 'Sở KH&CN trả lại (u1): "Đề nghị bổ sung số lớp" — gửi lại chậm nhất ngày 22/10/2025'
            assert shown in await officer.say("/nhiemvu")
            assert shown in await manager.say("/baocao binh son")

            # Revised: /sualai alone finds it; one answer changed in three messages; saved.
            assert "Ghi chú của Sở KH&CN" in await officer.say("/sualai")
            await officer.press("Sửa một câu trả lời")
            assert "Câu trả lời hiện tại: Đã tập huấn 2 lớp" in await officer.press("Kết quả: Đã tập huấn 2 lớp")
            assert "• Kết quả: Đã tập huấn 3 lớp" in await officer.say("Đã tập huấn 3 lớp")
            assert "Đã lưu: cập nhật u2" in await officer.press("Lưu")

            # Accepted: the unit is told, in seconds.
            assert "Bản sửa của u1" in await manager.say("/duyet")
            before_a = len(fake.messages_to(A))
            await manager.press("Tiếp nhận")
            accepted, waited = await notice(fake, A, before_a)
            assert waited < SECONDS
            assert accepted["text"] == "Sở KH&CN đã tiếp nhận cập nhật u2 về nhiệm vụ III.1 của UBND xã Bình Sơn."
            assert "Sở KH&CN đã tiếp nhận" in await officer.say("/nhiemvu")

            # Two extension requests; a Sunday is said to be one.
            assert "Xin gia hạn đến ngày nào?" in await officer.say("/giahan I.1")
            assert "Ngày làm việc kế tiếp là 20/10/2025" in await officer.say("19/10/2025")
            await officer.say("20/10/2025")
            await officer.say("Chờ kinh phí")
            before_m = len(fake.messages_to(MANAGER))
            assert "Đã gửi đề nghị số 1" in await officer.press("Gửi")
            first, waited = await notice(fake, MANAGER, before_m)
            assert waited < SECONDS and first["text"].startswith("Đề nghị gia hạn số 1")
            await colleague.say("/giahan I.1")
            await colleague.say("31/10/2025")
            await colleague.say("Chờ văn bản hướng dẫn")
            before_m = len(fake.messages_to(MANAGER))
            await colleague.press("Gửi")
            second, _ = await notice(fake, MANAGER, before_m)
            assert second["text"].startswith("Đề nghị gia hạn số 2")

            # The first request's own buttons still work; each officer is told in seconds.
            before_a = len(fake.messages_to(A))
            approved = await manager._exchange(lambda: press_on(fake, MANAGER, first, "Đồng ý"))
            assert "Đã đồng ý: nhiệm vụ I.1 của UBND xã Bình Sơn nay có hạn 20/10/2025." in approved
            told, waited = await notice(fake, A, before_a)
            assert waited < SECONDS and "đồng ý đề nghị số 1" in told["text"]
            await manager._exchange(lambda: press_on(fake, MANAGER, second, "Từ chối"))
            await manager.say("Không đủ căn cứ")
            assert "cán bộ đề nghị sẽ được thông báo" in await manager.press("Từ chối")
            again = await manager._exchange(lambda: press_on(fake, MANAGER, first, "Đồng ý"))
            assert again == "Đề nghị số 1 đã được Nguyễn Văn An đồng ý ngày 15/10/2025."

            # An absence: the colleague who covers is told whose reminders come, and until when.
            before_a = len(fake.messages_to(A))
            await colleague.say("/vangmat 24/10/2025 An")
            covering, _ = await notice(fake, A, before_a)
            assert "vắng mặt đến hết ngày 24/10/2025" in covering["text"]
