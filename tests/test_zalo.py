"""The officer's journey over a fake Zalo Bot API: no buttons, numbered choices answered by number or by words,
stored exactly as over Telegram."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.channels.zalo import CHANNEL, ZaloClient, deliverer
from bot.service import wire_zalo
from bot.runtime.conversation import Conversation
from bot.channels.ratelimit import IN_FLIGHT
from bot.runtime.sender import Sender
from bot.settings import Settings
from handlers.machinery.messages import Reply
from handlers.machinery.outbox import OutgoingMessage, enqueue
from models import ProgressUpdate, session_scope
from models.organisation import Role
from tests.conftest import NOW, add_member, invite
from tests.fake_http import SlowToAnswer
from tests.fake_zalo import FakeZalo


@asynccontextmanager
async def polling(fake: FakeZalo, engine: Engine, settings: Settings) -> AsyncIterator[ZaloClient]:
    client = ZaloClient(fake.api_url, fake.token)
    stop = asyncio.Event()
    task = asyncio.create_task(wire_zalo(client, Conversation(engine, settings, clock=lambda: NOW)).run(stop))
    try:
        yield client
    finally:
        stop.set()
        task.cancel()
        await client.close()


class Phone:
    def __init__(self, fake: FakeZalo, user: str) -> None:
        self.fake, self.user = fake, user

    async def say(self, text: str, message_id: str | None = None) -> str:
        before = len(self.fake.messages_to(self.user))
        self.fake.send_text(self.user, text, message_id)
        return "\n".join(await asyncio.to_thread(self.fake.wait_for_replies, self.user, before, 0.15))


async def test_an_officer_registers_and_reports_over_zalo_with_numbers_and_words(engine: Engine,
                                                                                 settings: Settings) -> None:
    code = invite(engine, "21040")
    with FakeZalo() as fake:
        phone = Phone(fake, "zalo-user-1")
        async with polling(fake, engine, settings):
            assert "Bạn chưa đăng ký" in await phone.say("xin chao")
            assert "đăng ký thành công cho UBND xã Bình Sơn" in await phone.say(code.lower())
            tasks = await phone.say("/nhiemvu")
            assert "I.1. Tiếp tục tổ chức quán triệt" in tasks
            asked = await phone.say("/capnhat")
            assert "Bạn cập nhật nhiệm vụ nào?\nChủ trì: 1–3. Phối hợp: 4–15." in asked and "\n1. I.1 " in asked
            statuses = await phone.say("iii.2")
            assert statuses.endswith("1. Đã hoàn thành\n2. Đang thực hiện\n3. Chưa thực hiện\n4. Không phát sinh")
            assert "bao nhiêu phần trăm" in await phone.say("dang thuc hien")  # words, no diacritics
            await phone.say("50%")
            await phone.say("Đã cử 3 công chức đi tập huấn")
            await phone.say("30")
            summary = await phone.say("/boqua")
            assert summary.endswith("1. Lưu\n2. Sửa một câu trả lời\n3. Hủy")
            assert "Đã lưu: cập nhật u1 cho nhiệm vụ III.2" in await phone.say("luu")
    with Session(engine) as session:
        [update] = session.exec(select(ProgressUpdate)).all()
    assert (update.status, update.percent, update.figures, update.channel) == ("in_progress", 50,
                                                                              {"staff_trained_share": 30}, "zalo")
    assert update.result == "Đã cử 3 công chức đi tập huấn"


async def file_described(fake: FakeZalo, chat: str, words: str, timeout: float = 60) -> str:
    """The message that comes once the promised file is made (bot/runtime/exports.py)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not any(words in text for text in fake.messages_to(chat)):
        assert asyncio.get_running_loop().time() < deadline, f"no message with {words!r}"
        await asyncio.sleep(0.1)
    return next(text for text in fake.messages_to(chat) if words in text)


async def test_a_redelivered_message_is_answered_once_and_files_are_described(engine: Engine,
                                                                               settings: Settings) -> None:
    with FakeZalo() as fake:
        phone = Phone(fake, "zalo-manager")
        async with polling(fake, engine, settings):
            await phone.say(invite(engine, "SKHCN", Role.MANAGER))
            first = await phone.say("/baocao docx", message_id="same-id")
            assert first.startswith("Đang chuẩn bị tệp")
            described = await file_described(fake, "zalo-manager", "Tệp bao-cao-tdc-2025.docx không gửi được qua Zalo")
            assert "Dự thảo báo cáo tổng hợp năm 2025." in described  # made, then described: Zalo takes no file
            before = len(fake.messages_to("zalo-manager"))
            fake.send_text("zalo-manager", "/baocao docx", "same-id")  # the platform delivers it again
            await phone.say("/help")
            replies = fake.messages_to("zalo-manager")[before:]
            assert len(replies) == 1 and replies[0].startswith("tdc-bot —")


async def test_reminders_reach_zalo_through_the_one_sender(engine: Engine) -> None:
    member = add_member(engine, "21040", 0, channel=CHANNEL)
    with session_scope(engine) as session:
        enqueue(session, [OutgoingMessage("r1", "reminder", member, CHANNEL, "0", "Nhắc việc: còn 7 ngày.")])
    with FakeZalo() as fake:
        client = ZaloClient(fake.api_url, fake.token)
        report = await Sender(engine, {CHANNEL: deliverer(client)}).drain()
        await client.close()
        assert fake.messages_to("0") == ["Nhắc việc: còn 7 ngày."]
    assert report.sent == 1


def test_a_member_on_both_channels_is_reminded_once_on_the_one_used_last(engine: Engine) -> None:
    from datetime import datetime

    from jobs.calendar import CALENDAR
    from jobs.policy import DEFAULT_POLICY
    from jobs.reminders import due_on
    from models import ChannelAccount

    member = add_member(engine, "21040", 900, channel="telegram")
    with session_scope(engine) as session:
        session.add(ChannelAccount(member_id=member, channel=CHANNEL, external_id="z900", chat_id="z900",
                                   last_seen_at=datetime(2030, 1, 1)))
    with Session(engine) as session:
        due = due_on(session, NOW.date().replace(day=16, month=9), DEFAULT_POLICY, CALENDAR)
    assert [(d.recipient.member_id, d.recipient.channel, d.recipient.chat_id) for d in due] == [
        (member, CHANNEL, "z900")]


async def test_one_person_registered_on_both_channels_is_linked_and_reminded_once(
        engine: Engine, settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys
    from pathlib import Path

    from jobs.calendar import CALENDAR
    from jobs.policy import DEFAULT_POLICY
    from jobs.reminders import due_on
    from tests.conftest import Chat

    conversation = Conversation(engine, settings, clock=lambda: NOW)
    on_telegram = Chat(conversation, user_id="t-1", channel="telegram")
    on_telegram.say(f"/start {invite(engine, '21040')}")
    on_zalo = Chat(conversation, user_id="z-1", channel=CHANNEL)
    on_zalo.say(f"/start {invite(engine, '21040')}")
    on_zalo.say("/capnhat III.2")
    on_zalo.say("4")
    on_zalo.say("/boqua")
    on_zalo.say("/boqua")
    on_zalo.say("1")
    september = NOW.date().replace(day=16, month=9)
    with Session(engine) as session:
        assert len(due_on(session, september, DEFAULT_POLICY, CALENDAR)) == 2  # two members, two reminders
    env = {**os.environ, "TDC_DATABASE_URL": settings.database_url}
    root = Path(__file__).resolve().parents[1]
    listed = subprocess.run([sys.executable, "-m", "bot", "members", "--unit", "21040"], cwd=root, env=env,
                            capture_output=True, text=True).stdout
    assert "telegram:t-1" in listed and "zalo:z-1" in listed
    refused = subprocess.run([sys.executable, "-m", "bot", "link", "--member", "2", "--into", "2"], cwd=root, env=env,
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "hai số thành viên khác nhau" in refused.stderr
    linked = subprocess.run([sys.executable, "-m", "bot", "link", "--member", "2", "--into", "1"], cwd=root, env=env,
                            capture_output=True, text=True)
    assert "Đã gộp thành viên 2 vào thành viên 1: chuyển 1 tài khoản kênh." in linked.stdout, linked.stderr
    with Session(engine) as session:
        due = due_on(session, september, DEFAULT_POLICY, CALENDAR)
        [update] = session.exec(select(ProgressUpdate)).all()
    assert [(d.recipient.member_id, d.recipient.channel) for d in due] == [(1, CHANNEL)]  # Zalo was used last
    assert update.member_id == 1  # what was reported on Zalo is the same person's history
    assert "Không phát sinh" in on_telegram.say("/nhiemvu")


async def test_the_annual_report_over_zalo(engine: Engine, settings: Settings) -> None:
    from models import AnnualReport

    with FakeZalo() as fake:
        phone = Phone(fake, "zalo-press")
        async with polling(fake, engine, settings):
            await phone.say(invite(engine, "BAOQNG"))
            first = await phone.say("/baocaonam")
            assert "Chưa báo cáo, đơn vị phối hợp: I.2." in first and first.endswith("2. Chọn nhiệm vụ có kết quả mới")
            await phone.say("2")
            assert (await phone.say("1")).endswith("4. Không phát sinh")
            await phone.say("hoan thanh")
            await phone.say("Đăng 24 tin bài về tiêu chuẩn, đo lường")
            await phone.say("24 tin/bài")
            await phone.say("/boqua")
            summary = await phone.say("Chưa có phóng viên chuyên trách")
            assert "Gửi báo cáo năm này cho Sở KH&CN?\n1. Gửi" in summary
            assert "Đã nhận báo cáo năm 2025 của Báo và Phát thanh, Truyền hình Quảng Ngãi" in await phone.say("1")
    with Session(engine) as session:
        [report] = session.exec(select(AnnualReport)).all()
        [update] = session.exec(select(ProgressUpdate)).all()
    assert (report.channel, report.proposals, report.difficulties) == ("zalo", "Chưa có phóng viên chuyên trách", "")
    assert (update.status, update.figures) == ("done", {"propaganda_items": 24})


def test_remind_from_the_command_line_sends_on_zalo_alone(db_url: str, engine: Engine) -> None:
    """An install with only a Zalo token: `python -m bot remind` writes the day's reminders and sends them."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    add_member(engine, "21040", "zalo-cli", channel=CHANNEL)
    with FakeZalo() as fake:
        env = {**os.environ, "TDC_DATABASE_URL": db_url, "TDC_ZALO_TOKEN": fake.token,
               "TDC_ZALO_API_URL": fake.api_url}
        env.pop("TDC_TELEGRAM_TOKEN", None)
        done = subprocess.run([sys.executable, "-m", "bot", "remind", "--now", "2025-09-16T09:00"], env=env,
                              cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        sent = fake.messages_to("zalo-cli")
    assert "Đã gửi: " in done.stdout and "TDC_TELEGRAM_TOKEN" not in done.stdout
    assert any(text.startswith("Nhắc việc: còn 14 ngày đến hạn 30/09/2025.") for text in sent)


async def test_forty_replies_at_once_over_zalo_keep_eight_calls_on_the_wire() -> None:
    """As on Telegram (bot/channels/ratelimit.py): every reply goes out once, and no more than IN_FLIGHT calls wait on a
    platform that takes 0.2 s to answer each, so the connection pool stays that small."""
    with FakeZalo() as fake:
        fake.fault = slow = SlowToAnswer("sendMessage", 0.2)
        client = ZaloClient(fake.api_url, fake.token)
        send = deliverer(client)
        await asyncio.gather(*(send(f"zalo-{n}", Reply(f"Trả lời {n}")) for n in range(40)))
        await client.close()
        texts = sorted(message["text"] for message in fake.sent)

    assert texts == sorted(f"Trả lời {n}" for n in range(40))
    assert slow.most == IN_FLIGHT == 8
