"""The real bot process, killed with SIGKILL at the worst moments and started again, against the fake Bot API:
every confirmed answer is in the database, every update is processed exactly once, and nothing is lost.
(A reminder fan-out killed mid-way is tests/test_sender.py's.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models import InboundUpdate, ProgressUpdate
from models.inbound import InboundStatus
from tests.conftest import add_member
from tests.fake_telegram import FakeTelegram, refusal

ROOT = Path(__file__).resolve().parents[1]
SAVE_FORM = ["/capnhat III.2", "khong phat sinh", "/boqua", "/boqua", "Lưu"]


@contextmanager
def bot_process(fake: FakeTelegram, db_url: str) -> Iterator[subprocess.Popen[str]]:
    env = {**os.environ, "TDC_DATABASE_URL": db_url, "TDC_TELEGRAM_TOKEN": fake.token,
           "TDC_TELEGRAM_API_URL": fake.api_url, "TDC_RATE_LIMIT": "500"}
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
        process.communicate(timeout=30)


def kill_at(fake: FakeTelegram, victim: dict[str, subprocess.Popen[str]],
            when: Callable[[dict[str, Any]], bool]) -> None:
    """SIGKILL the bot while it sends the message `when` picks, before the platform has accepted it."""

    def fault(method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if method == "sendMessage" and "bot" in victim and when(params):
            victim.pop("bot").send_signal(signal.SIGKILL)
            return refusal(502, "Bad Gateway")  # nobody is left to hear it
        return None

    fake.fault = fault


def wait_for(check: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def journal(engine: Engine) -> Counter[str]:
    with Session(engine) as session:
        return Counter(session.exec(select(InboundUpdate.status)).all())


def saved_by(engine: Engine) -> Counter[int]:
    with Session(engine) as session:
        return Counter(session.exec(select(ProgressUpdate.member_id)).all())


def test_a_burst_of_500_updates_killed_midway_is_processed_exactly_once(db_url: str, engine: Engine) -> None:
    officers = {70_000 + n: add_member(engine, "21040", 70_000 + n) for n in range(50)}
    with FakeTelegram() as fake:
        victim: dict[str, subprocess.Popen[str]] = {}
        sent = Counter[str]()

        def the_150th(params: dict[str, Any]) -> bool:
            sent["n"] += 1
            return sent["n"] == 150

        kill_at(fake, victim, the_150th)
        for _ in range(2):  # each officer saves two updates: ten messages each, 500 in all
            for text in SAVE_FORM:
                for chat in officers:
                    fake.send_text(chat, text)
        with bot_process(fake, db_url) as first:
            victim["bot"] = first
            first.wait(timeout=120)
        assert first.returncode == -signal.SIGKILL
        midway = journal(engine)
        assert 0 < sum(midway.values()) and midway[InboundStatus.ANSWERED] < 500
        with bot_process(fake, db_url):
            wait_for(lambda: journal(engine)[InboundStatus.ANSWERED] == 500)
        saved_messages = Counter(m["chat"]["id"] for m in fake.sent if m["text"].startswith("Đã lưu"))

    assert journal(engine) == {InboundStatus.ANSWERED: 500}  # stored once each, none failed, none left
    assert saved_by(engine) == {member: 2 for member in officers.values()}  # processed once: no third update
    assert all(saved_messages[chat] >= 2 for chat in officers)  # every "saved" reached its officer


def test_killed_in_the_middle_of_a_form_and_as_it_confirms(db_url: str, engine: Engine) -> None:
    chat = 80_001
    member = add_member(engine, "21040", chat)
    with FakeTelegram() as fake:
        victim: dict[str, subprocess.Popen[str]] = {}
        kill_at(fake, victim, lambda params: "phần trăm" in params["text"])  # as it asks for the percentage
        fake.send_text(chat, "/capnhat III.2")
        fake.send_text(chat, "Đang thực hiện")
        with bot_process(fake, db_url) as first:
            victim["bot"] = first
            first.wait(timeout=120)
        assert first.returncode == -signal.SIGKILL

        kill_at(fake, victim, lambda params: params["text"].startswith("Đã lưu"))  # as it confirms the save
        with bot_process(fake, db_url) as second:
            victim["bot"] = second
            wait_for(lambda: any("phần trăm" in m["text"] for m in fake.messages_to(chat)))  # resent from the journal
            for text in ("60%", "Đã cử 12 công chức đi tập huấn", "12", "/boqua", "Lưu"):
                fake.send_text(chat, text)
            second.wait(timeout=120)
        assert second.returncode == -signal.SIGKILL
        assert saved_by(engine) == {member: 1}  # the confirmed answer is stored, though "saved" never arrived

        with bot_process(fake, db_url):
            wait_for(lambda: any(m["text"].startswith("Đã lưu") for m in fake.messages_to(chat)))
            wait_for(lambda: journal(engine)[InboundStatus.ANSWERED] == 7)
    with Session(engine) as session:
        [update] = session.exec(select(ProgressUpdate)).all()
        assert session.exec(select(func.count()).select_from(InboundUpdate)).one() == 7
    assert (update.status, update.percent, update.result) == ("in_progress", 60, "Đã cử 12 công chức đi tập huấn")
