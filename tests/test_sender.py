"""The one sender against the fake Bot API: rate-limited, retried, exactly once, and honest about 403s."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.channels.telegram import CHANNEL, build_application, deliverer
from bot.channels.ratelimit import IN_FLIGHT
from bot.runtime.delivery import TryLater
from bot.runtime.sender import Courier, Sender
from bot.settings import Settings
from handlers.machinery.outbox import OutgoingMessage, enqueue
from handlers.machinery.messages import Reply
from models import ChannelAccount, Outbox, make_engine, session_scope
from models.outbox import OutboxStatus
from tests.conftest import add_member
from tests.fake_http import SlowToAnswer
from tests.fake_telegram import FakeTelegram, refusal

ROOT = Path(__file__).resolve().parents[1]
RATE = 100


def most_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_a_fan_out_to_300_members_through_429s_and_500s(engine: Engine, settings: Settings) -> None:
    chats = list(range(50_000, 50_300))
    members = [add_member(engine, "21040", chat) for chat in chats]
    with session_scope(engine) as session:
        enqueue(session, [OutgoingMessage(f"test:{m}", "reminder", m, CHANNEL, str(chat), f"Nhắc việc {chat}")
                          for m, chat in zip(members, chats)])
    blocked_chat = chats[7]
    refused: Counter[str] = Counter()
    lock = threading.Lock()
    chance = random.Random(1703)

    def fault(method: str, params: dict):  # type: ignore[no-untyped-def]
        if method != "sendMessage":
            return None
        with lock:
            if int(params["chat_id"]) == blocked_chat:
                return refusal(403, "Forbidden: bot was blocked by the user")
            roll = chance.random()
            if roll < 0.05 and refused["429"] < 3:
                refused["429"] += 1
                return refusal(429, "Too Many Requests: retry after 1", retry_after=1)
            if roll < 0.12:
                refused["500"] += 1
                return refusal(500, "Internal Server Error")
        return None

    with FakeTelegram() as fake:
        fake.fault = fault
        settings = Settings(database_url=settings.database_url, telegram_token=fake.token,
                            telegram_api_url=fake.api_url, rate_limit=RATE, _env_file=None)
        application = build_application(settings)
        async with application:
            sender = Sender(engine, {CHANNEL: deliverer(application.bot)}, backoff=0.05)
            report = await sender.drain()
        delivered = Counter(m["chat"]["id"] for m in fake.sent)
        peak = most_in_one_second(fake.sent_at)

    assert refused["429"] == 3 and refused["500"] > 5
    assert report.sent == 299 and report.unreachable == 1 and report.left == 0
    assert set(delivered) == set(chats) - {blocked_chat} and set(delivered.values()) == {1}
    assert peak <= RATE
    with Session(engine) as session:
        rows = session.exec(select(Outbox.status, Outbox.chat_id)).all()
        account = session.exec(select(ChannelAccount).where(ChannelAccount.chat_id == str(blocked_chat))).one()
    assert Counter(status for status, _ in rows) == {OutboxStatus.SENT: 299, OutboxStatus.UNREACHABLE: 1}
    assert account.blocked


async def test_one_chat_gets_at_most_one_message_a_second(engine: Engine, settings: Settings) -> None:
    member = add_member(engine, "21040", 61_000)
    with session_scope(engine) as session:
        enqueue(session, [OutgoingMessage(f"k{n}", "kickoff", member, CHANNEL, "61000", f"phần {n}") for n in range(3)])
    with FakeTelegram() as fake:
        settings = Settings(database_url=settings.database_url, telegram_token=fake.token,
                            telegram_api_url=fake.api_url, _env_file=None)
        application = build_application(settings)
        async with application:
            await Sender(engine, {CHANNEL: deliverer(application.bot)}).drain()
        gaps = [b - a for a, b in zip(fake.sent_at, fake.sent_at[1:])]
        assert [m["text"] for m in fake.sent] == ["phần 0", "phần 1", "phần 2"]
    assert len(gaps) == 2 and min(gaps) >= 0.95


async def test_forty_replies_at_once_to_a_slow_platform_keep_eight_requests_on_the_wire(settings: Settings) -> None:
    """Every reply goes out once, but no more than IN_FLIGHT requests wait on the platform together (it takes
    0.2 s to answer each): the connection pool stays that small (bot/channels/ratelimit.py says why)."""
    with FakeTelegram() as fake:
        fake.fault = slow = SlowToAnswer("sendMessage", 0.2)
        settings = Settings(database_url=settings.database_url, telegram_token=fake.token,
                            telegram_api_url=fake.api_url, rate_limit=1000, _env_file=None)
        async with build_application(settings) as application:
            send = deliverer(application.bot)
            await asyncio.gather(*(send(str(80_000 + n), Reply(f"Trả lời {n}")) for n in range(40)))
        texts = sorted(m["text"] for m in fake.sent)

    assert texts == sorted(f"Trả lời {n}" for n in range(40))
    assert slow.most == IN_FLIGHT == 8


@pytest.mark.parametrize("workers", [1, 4])
def test_killed_in_the_middle_of_a_fan_out_and_started_again(db_url: str, engine: Engine, workers: int) -> None:
    """The bot process is killed (SIGKILL) while a sendMessage is in flight, before the platform accepted it;
    a second run delivers everything that was due. A worker sends its next message only once the last one is
    marked sent, so at most one message per worker can go twice: with one worker, nothing does."""
    communes = ["21211", "21034", "21040", "21061", "21109", "21196", "21205", "21220", "21181", "21085"]
    # One worker serves the chats one after the other, each at one message a second: four chats say as much.
    chats = {code: 70_000 + n for n, code in enumerate(communes[:4] if workers == 1 else communes)}
    for code, chat in chats.items():
        add_member(engine, code, chat)
    moment = "2025-09-16T09:00"  # 14 days before 30/09/2025: every commune is reminded of task I.1
    with FakeTelegram() as fake:
        env = {**os.environ, "TDC_DATABASE_URL": db_url, "TDC_TELEGRAM_TOKEN": fake.token,
               "TDC_TELEGRAM_API_URL": fake.api_url, "TDC_SEND_WORKERS": str(workers)}
        victim: dict[str, subprocess.Popen[str]] = {}
        calls = Counter[str]()

        def kill_on_the_fourth(method: str, params: dict):  # type: ignore[no-untyped-def]
            if method == "sendMessage":
                calls["send"] += 1
                if calls["send"] == 4 and "first" in victim:
                    victim["first"].send_signal(signal.SIGKILL)
                    victim["first"].wait()
                    return refusal(502, "Bad Gateway")  # too late for the dead process to hear
            return None

        fake.fault = kill_on_the_fourth
        command = [sys.executable, "-m", "bot", "remind", "--now", moment]
        victim["first"] = subprocess.Popen(command, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE,
                                           stderr=subprocess.PIPE)
        victim["first"].wait(timeout=120)
        assert victim["first"].returncode == -signal.SIGKILL
        delivered_before = len(fake.sent)
        del victim["first"]
        second = subprocess.run(command, cwd=ROOT, env=env, text=True, capture_output=True, timeout=120)
        assert second.returncode == 0, second.stderr
        reminders = Counter(m["chat"]["id"] for m in fake.sent if m["text"].startswith("Nhắc việc"))

    assert set(reminders) == set(chats.values())
    if workers == 1:
        assert delivered_before == 3 and reminders == {chat: 1 for chat in chats.values()}
    else:  # the three accepted before the kill may each have gone out before their mark was written
        assert sum(reminders.values()) - len(chats) <= workers - 1


async def test_two_senders_at_once_send_each_notice_once(engine: Engine, db_url: str) -> None:
    """A new leader's catch-up and another process's courier drain the same outbox at the same moment: each row
    is claimed by one of them before it is sent, so every notice goes out once."""
    chats = list(range(61_000, 61_040))
    members = [add_member(engine, "21040", chat) for chat in chats]
    with session_scope(engine) as session:
        enqueue(session, [OutgoingMessage(f"test:{m}", "accepted", m, CHANNEL, str(chat), f"Đã tiếp nhận {chat}")
                          for m, chat in zip(members, chats)])
    delivered: Counter[str] = Counter()

    async def record(chat_id: str, reply: Reply) -> None:
        await asyncio.sleep(0.01)  # a platform's answer takes a moment: long enough for the other to try
        delivered[chat_id] += 1

    other_process = make_engine(db_url)
    try:
        reports = await asyncio.gather(
            Sender(engine, {CHANNEL: record}, per_chat_interval=0).drain(),
            Sender(other_process, {CHANNEL: record}, per_chat_interval=0).drain(keys={f"test:{m}" for m in members}))
    finally:
        other_process.dispose()
    assert delivered == Counter({str(chat): 1 for chat in chats})
    assert sum(report.sent for report in reports) == len(chats)
    with Session(engine) as session:
        rows = session.exec(select(Outbox)).all()
    assert {row.status for row in rows} == {OutboxStatus.SENT} and {row.claimed_by for row in rows} == {None}


async def test_a_notice_the_platform_refuses_for_a_while_goes_out_at_any_hour(engine: Engine) -> None:
    """A return told to an officer at 21:00 meets a run of 429s longer than the sender's own tries: the courier
    tries it again on its own schedule, not at the reminder cycle's office-hours retry the next morning."""
    member = add_member(engine, "21040", 62_001)
    refusals = 8
    delivered: list[str] = []

    async def busy_platform(chat_id: str, reply: Reply) -> None:
        nonlocal refusals
        if refusals:
            refusals -= 1
            raise TryLater("429 Too Many Requests")
        delivered.append(reply.text)

    courier = Courier(Sender(engine, {CHANNEL: busy_platform}, per_chat_interval=0, attempts=2, backoff=0.01),
                      retry_delays=(0.1, 0.2))
    stop = asyncio.Event()
    running = asyncio.create_task(courier.run(stop))
    await asyncio.sleep(0)
    with session_scope(engine) as session:
        enqueue(session, [OutgoingMessage("returned:1:u1", "returned", member, CHANNEL, "62001", "Sở KH&CN trả lại")])
    courier.wake(["returned:1:u1"])
    for _ in range(100):
        if delivered:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await running
    assert delivered == ["Sở KH&CN trả lại"] and refusals == 0


async def test_a_courier_that_stops_sends_what_it_queued_before_it_exits(engine: Engine) -> None:
    member = add_member(engine, "21040", 62_002)
    delivered: list[str] = []

    async def record(chat_id: str, reply: Reply) -> None:
        delivered.append(reply.text)

    courier = Courier(Sender(engine, {CHANNEL: record}, per_chat_interval=0))
    stop = asyncio.Event()
    running = asyncio.create_task(courier.run(stop))
    await asyncio.sleep(0)
    with session_scope(engine) as session:
        enqueue(session, [OutgoingMessage("accepted:2:u2", "accepted", member, CHANNEL, "62002", "Đã tiếp nhận")])
    courier.wake(["accepted:2:u2"])
    stop.set()  # SIGTERM right after the act was committed
    await running
    assert delivered == ["Đã tiếp nhận"]


async def test_a_notice_another_process_queued_and_left_unsent_is_picked_up_within_seconds(engine: Engine) -> None:
    """Its own courier stopped before it could send it (a SIGTERM, a kill): any other process's courier looks
    for people's acts nobody has tried to send, every few seconds — not for reminders, which keep office hours."""
    member = add_member(engine, "21040", 62_003)
    arrived = asyncio.Event()
    delivered: list[str] = []

    async def record(chat_id: str, reply: Reply) -> None:
        delivered.append(reply.text)
        arrived.set()

    courier = Courier(Sender(engine, {CHANNEL: record}, per_chat_interval=0), pickup_every=0.5)
    stop = asyncio.Event()
    running = asyncio.create_task(courier.run(stop))
    with session_scope(engine) as session:  # written by another process: this courier is never woken for it
        enqueue(session, [OutgoingMessage("reminder:2:due:x:d-1", "reminder", member, CHANNEL, "62003", "Nhắc"),
                          OutgoingMessage("extension:2:7", "extension", member, CHANNEL, "62003", "Đề nghị gia hạn")])
    await asyncio.wait_for(arrived.wait(), 10)
    await asyncio.sleep(1.2)  # two more looks: the reminder stays for the cycle, nothing goes twice
    stop.set()
    await running
    assert delivered == ["Đề nghị gia hạn"]


@pytest.mark.skipif(not os.environ.get("TDC_TEST_DATABASE_URL"), reason="NOTIFY is PostgreSQL's")
async def test_on_postgresql_a_committed_act_wakes_every_courier_at_once(engine: Engine, db_url: str) -> None:
    from bot.runtime.wakeup import listen

    member = add_member(engine, "21040", 62_004)
    arrived = asyncio.Event()

    async def record(chat_id: str, reply: Reply) -> None:
        arrived.set()

    courier = Courier(Sender(engine, {CHANNEL: record}, per_chat_interval=0), pickup_every=120)  # no poll in time
    stop = asyncio.Event()
    running = asyncio.create_task(courier.run(stop))
    hearing = asyncio.create_task(listen(db_url, courier.poke, stop))
    await asyncio.sleep(1.5)  # listening
    with session_scope(engine) as session:
        enqueue(session, [OutgoingMessage("accepted:2:u9", "accepted", member, CHANNEL, "62004", "Đã tiếp nhận")])
    await asyncio.wait_for(arrived.wait(), 10)  # the NOTIFY at commit, not the two-minute look
    stop.set()
    await asyncio.gather(running, hearing)
