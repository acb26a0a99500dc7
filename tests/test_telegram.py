"""End to end over HTTP: the real python-telegram-bot client against a fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from telegram.ext import Application

from bot.channels.telegram import build_application
from bot.service import wire_telegram
from bot.channels.text import split_text
from bot.runtime.conversation import Conversation
from bot.settings import Settings
from models import ProgressUpdate
from tests.conftest import NOW, invite
from tests.fake_telegram import FakeTelegram

OFFICER = 7001


@pytest.fixture
def telegram() -> FakeTelegram:
    with FakeTelegram() as fake:
        yield fake


@asynccontextmanager
async def running_bot(fake: FakeTelegram, engine: Engine, settings: Settings,
                      clock: Callable[[], datetime] = lambda: NOW) -> AsyncIterator[Application]:
    """The bot's Telegram side as `python -m bot run` wires it: the journal-first long-polling inbox, on the
    province's local time `clock` tells."""
    settings = Settings(database_url=settings.database_url, telegram_token=fake.token, telegram_api_url=fake.api_url,
                        _env_file=None)
    application = build_application(settings)
    async with application:
        inbox = wire_telegram(application.bot, Conversation(engine, settings, clock=clock))
        stop = asyncio.Event()
        polling = asyncio.create_task(inbox.poll(stop))
        try:
            yield application
        finally:
            stop.set()
            await polling
            await inbox.conversation.drain()


class Officer:
    """The officer's phone: sends, presses, and reads what the bot sent back."""

    def __init__(self, fake: FakeTelegram, user_id: int, quiet: float = 0.3) -> None:
        self.fake, self.user_id, self.quiet = fake, user_id, quiet

    async def _exchange(self, act) -> str:  # type: ignore[no-untyped-def]
        before = len(self.fake.messages_to(self.user_id))
        act()
        replies = await asyncio.to_thread(self.fake.wait_for_replies, self.user_id, before, self.quiet)
        self.last = replies
        return "\n".join(m["text"] for m in replies)

    async def say(self, text: str) -> str:
        return await self._exchange(lambda: self.fake.send_text(self.user_id, text))

    async def press(self, label: str) -> str:
        return await self._exchange(lambda: self.fake.press(self.user_id, label))

    async def sticker(self) -> str:
        return await self._exchange(lambda: self.fake.send_sticker(self.user_id))

    async def document(self, content: bytes, file_name: str, size: int | None = None) -> str:
        return await self._exchange(lambda: self.fake.send_document(self.user_id, content, file_name, size))

    async def picture(self, content: bytes) -> str:
        return await self._exchange(lambda: self.fake.send_picture(self.user_id, content))

    def buttons(self) -> list[str]:
        return self.fake.buttons(self.last[-1])


async def test_invite_start_tasks_and_a_progress_update_over_telegram(
        telegram: FakeTelegram, engine: Engine, settings: Settings) -> None:
    code = invite(engine, "21040")
    officer = Officer(telegram, OFFICER)
    async with running_bot(telegram, engine, settings):
        assert "đăng ký thành công cho UBND xã Bình Sơn" in await officer.say(f"/start {code}")
        first_calls = [method for method, _ in telegram.calls if method in ("deleteWebhook", "getUpdates")]
        assert first_calls[0] == "deleteWebhook"  # a webhook left from another run would block polling
        tasks = await officer.say("/nhiemvu")
        assert "I.1. Tiếp tục tổ chức quán triệt" in tasks and "Hạn: 30/09/2025" in tasks
        assert all(len(m["text"]) <= 4096 for m in officer.last)

        assert "Bạn cập nhật nhiệm vụ nào?" in await officer.say("/capnhat")
        await officer.press(next(b for b in officer.buttons() if b.startswith("III.2 ")))
        assert officer.buttons() == ["Đã hoàn thành", "Đang thực hiện", "Chưa thực hiện", "Không phát sinh"]
        await officer.say("2")  # a choice's number
        assert "bao nhiêu phần trăm" in officer.last[-1]["text"]
        await officer.say("50%")
        await officer.say("Đã cử 4 công chức tham gia lớp tập huấn")
        sticker = await officer.sticker()
        assert "chỉ đọc được tin nhắn chữ" in sticker
        await officer.say("30")
        summary = await officer.say("/boqua")
        assert "• Tiến độ: 50%" in summary and officer.buttons() == ["Lưu", "Sửa một câu trả lời", "Hủy"]
        saved = await officer.press("Lưu")
        assert "Đã lưu: cập nhật u1 cho nhiệm vụ III.2 năm 2025" in saved

    with Session(engine) as session:
        [update] = session.exec(select(ProgressUpdate)).all()
    assert (update.status, update.percent, update.channel) == ("in_progress", 50, "telegram")
    assert update.figures == {"staff_trained_share": 30}
    assert update.result == "Đã cử 4 công chức tham gia lớp tập huấn"
    methods = {method for method, _ in telegram.calls}
    assert {"getMe", "getUpdates", "sendMessage", "answerCallbackQuery"} <= methods


async def test_the_bot_restarted_mid_form_resumes_at_the_same_question(
        telegram: FakeTelegram, engine: Engine, settings: Settings) -> None:
    code = invite(engine, "21040")
    officer = Officer(telegram, OFFICER)
    async with running_bot(telegram, engine, settings):
        await officer.say(f"/start {code}")
        await officer.say("/capnhat")
        await officer.say("III.2")
        await officer.press("Đã hoàn thành")
        assert "Kết quả đã thực hiện" in officer.last[-1]["text"]
    async with running_bot(telegram, engine, settings):
        assert "Kết quả đã thực hiện" in await officer.say("/tiep")
        assert "Tỷ lệ công chức, viên chức" in await officer.say("Đã hoàn thành kế hoạch năm")


async def test_a_stranger_and_a_forged_button_get_clear_answers(
        telegram: FakeTelegram, engine: Engine, settings: Settings) -> None:
    stranger = Officer(telegram, 8001)
    async with running_bot(telegram, engine, settings):
        assert "Bạn chưa đăng ký" in await stranger.say("/nhiemvu")
        await stranger.say(f"/start {invite(engine, '21040')}")
        await stranger.say("/capnhat")
        forged = await stranger._exchange(lambda: telegram.press_data(8001, "forged-id"))
        assert "Nút này không còn hiệu lực" in forged


def test_long_texts_are_split_at_paragraphs_under_the_limit() -> None:
    text = "\n\n".join(f"Đoạn {i}: " + "chữ " * 200 for i in range(10))
    pieces = split_text(text, 4096)
    assert len(pieces) > 1 and all(len(p) <= 4096 for p in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")
    assert all(p.startswith("Đoạn") for p in pieces)


def test_the_bot_process_starts_on_telegram_with_its_scheduler_and_answers(
        telegram: FakeTelegram, db_url: str, engine: Engine) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = invite(engine, "21040")
    env = {**os.environ, "TDC_DATABASE_URL": db_url, "TDC_TELEGRAM_TOKEN": telegram.token,
           "TDC_TELEGRAM_API_URL": telegram.api_url}
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=Path(__file__).resolve().parents[1],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        telegram.send_text(OFFICER, f"/start {code}")
        replies = telegram.wait_for_replies(OFFICER, 0, timeout=60)
        assert "đăng ký thành công cho UBND xã Bình Sơn" in replies[0]["text"]
        assert process.poll() is None
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    first, *log_lines = output.splitlines()
    assert first == "Đang khởi động trên Telegram (long polling)."
    events = [json.loads(line) for line in log_lines]  # structured: one JSON object per line
    assert any(e.get("logger") == "tdc.leader" and e["event"] == "scheduler started" for e in events), output
    assert telegram.token not in output and telegram.token.split(":")[1] not in output
