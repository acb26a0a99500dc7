"""The 20 November rush: officers send their annual report within one minute, against PostgreSQL.

Part 1, end to end: the bot runs as its own process (`python -m bot run`, webhook mode) on PostgreSQL; every
officer's annual report form is already filled up to its last question, and each sends "Gửi" (send) at a
random moment of the window, as a webhook call. Measured: the time from the call to the reply reaching the
fake Bot API server (p50, p95, max; aim: p95 under 1 s), and whether every report was stored.

Part 2, the event loop: the same conversation core in this process answers a burst of messages while a
ticker measures how late the loop wakes up, once with the database work in worker threads (as the bot runs)
and once called inline on the loop, side by side: the measurement behind "blocking database calls do not
stall the event loop".

    .venv/bin/python bench/rush.py [--officers 500] [--window 60] [--database-url postgresql+psycopg://…]

Without --database-url a throwaway PostgreSQL server is started with .ci/postgres (left running; its data
is in /tmp/tdc-rush-*).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import func, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from sqlmodel import Session, col, select  # noqa: E402

from bot.runtime.conversation import Conversation  # noqa: E402
from bot.cli.seed import seed  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.channels.telegram import SECRET_HEADER as TELEGRAM_HEADER  # noqa: E402
from handlers.machinery.messages import Incoming, Reply  # noqa: E402
from models import AnnualReport, ChannelAccount, FormState, Member, Unit, init_db, make_engine, session_scope  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

SECRET = "rush-webhook-secret"
FIRST_CHAT = 300_000


def database(url: str | None) -> str:
    server = url or subprocess.run([str(ROOT / ".ci" / "postgres"), "start", tempfile.mkdtemp(prefix="tdc-rush-")],
                                   capture_output=True, text=True, check=True).stdout.strip()
    admin = make_engine(server)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("DROP DATABASE IF EXISTS tdc_rush WITH (FORCE)"))
        connection.execute(text("CREATE DATABASE tdc_rush"))
    admin.dispose()
    return make_url(server).set(database="tdc_rush").render_as_string(hide_password=False)


def officers(engine: Engine, count: int) -> list[int]:
    """`count` officers spread over the commune-level units, registered on Telegram."""
    with session_scope(engine) as session:
        units = session.exec(select(Unit).where(col(Unit.kind).in_(["commune", "ward", "special_zone"]))
                             .order_by(col(Unit.code))).all()
        chats = []
        for n in range(count):
            member = Member(unit_id=units[n % len(units)].id, role="officer", display_name=f"officer {n}")
            session.add(member)
            session.flush()
            chat = FIRST_CHAT + n
            session.add(ChannelAccount(member_id=member.id, channel="telegram", external_id=str(chat),
                                       chat_id=str(chat)))
            chats.append(chat)
    return chats


def fill_annual_report(conversation: Conversation, chat: int) -> None:
    """Answers the annual report form up to its last question: nothing new, no comments."""
    answer = "/baocaonam"
    for _ in range(200):
        replies = conversation.handle_sync(message(chat, answer))
        buttons = [c.label for r in replies for c in r.buttons]
        if buttons[:1] == ["Gửi"]:
            return
        answer = "Không có gì mới" if "Không có gì mới" in buttons else "/boqua"
    raise RuntimeError(f"the form of {chat} did not reach its last question: {replies[-1].text[:200]}")


def first_of_each_unit(engine: Engine, chats: list[int]) -> dict[int, int]:
    """unit id → the chat of its first officer, who fills the form through the conversation."""
    with Session(engine) as session:
        rows = session.exec(select(Member.unit_id, ChannelAccount.external_id)
                            .join(ChannelAccount, col(ChannelAccount.member_id) == Member.id)
                            .order_by(col(Member.id))).all()
    firsts: dict[int, int] = {}
    for unit_id, external_id in rows:
        firsts.setdefault(unit_id, int(external_id))
    return firsts


def copy_forms(engine: Engine, firsts: dict[int, int]) -> None:
    """The unit's other officers get the same filled form (same unit, same assignments): a faster setup."""
    with session_scope(engine) as session:
        members = session.exec(select(Member)).all()
        by_chat = {int(a.external_id): a.member_id for a in session.exec(select(ChannelAccount))}
        states = {s.member_id: s for s in session.exec(select(FormState))}
        for member in members:
            model = states.get(by_chat[firsts[member.unit_id]])
            if member.id not in states and model is not None:
                session.add(FormState(member_id=member.id, form=model.form, step=model.step, answers=model.answers,
                                      history=model.history, offered=model.offered))


def message(chat: int, words: str) -> Incoming:
    from datetime import datetime, timezone

    return Incoming(channel="telegram", chat_id=str(chat), user_id=str(chat), text=words,
                    time=datetime.now(timezone.utc))


def webhook_update(update_id: int, chat: int, words: str) -> dict[str, Any]:
    user = {"id": chat, "is_bot": False, "first_name": "An"}
    return {"update_id": update_id, "message": {"message_id": update_id, "date": int(time.time()), "from": user,
                                                "chat": {"id": chat, "type": "private"}, "text": words}}


async def rush(fake: FakeTelegram, base: str, chats: list[int], window: float) -> dict[int, float]:
    """Each officer sends "Gửi" at a random moment of the window; returns when each call was made."""
    started: dict[int, float] = {}
    moments = sorted((random.uniform(0, window), chat) for chat in chats)
    origin = time.monotonic()
    async with httpx.AsyncClient(timeout=30) as client:
        async def one(at: float, chat: int) -> None:
            await asyncio.sleep(max(0.0, origin + at - time.monotonic()))
            started[chat] = time.monotonic()
            answer = await client.post(f"{base}/telegram", json=webhook_update(chat, chat, "Gửi"),
                                       headers={TELEGRAM_HEADER: SECRET})
            answer.raise_for_status()

        await asyncio.gather(*(one(at, chat) for at, chat in moments))
    return started


def reply_latencies(fake: FakeTelegram, started: dict[int, float], wait: float = 60) -> list[float]:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with fake._lock:
            arrived = {m["chat"]["id"]: at for m, at in zip(fake.sent, fake.sent_at) if m["text"].startswith("Đã nhận")}
        if len(arrived) == len(started):
            break
        time.sleep(0.2)
    return [arrived[chat] - began for chat, began in started.items() if chat in arrived]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def loop_lag(conversation: Conversation, chats: list[int], inline: bool) -> tuple[float, float, float]:
    """(elapsed s, p99 lag ms, max lag ms) while `chats` each ask for their tasks at once."""
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append((time.perf_counter() - before - 0.005) * 1000)

    async def nothing(chat_id: str, reply: Reply) -> None:
        pass

    conversation.connect("telegram", nothing)

    async def ask(chat: int) -> None:
        if inline:
            conversation.handle_sync(message(chat, "/nhiemvu"))
            await asyncio.sleep(0)
        else:
            await conversation.receive(message(chat, "/nhiemvu"))

    tick = asyncio.create_task(ticker())
    started = time.perf_counter()
    await asyncio.gather(*(ask(chat) for chat in chats))
    elapsed = time.perf_counter() - started
    done.set()
    await tick
    return elapsed, percentile(lags, 0.99), max(lags)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", type=int, default=500)
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which the reports arrive")
    parser.add_argument("--database-url", help="a PostgreSQL server to create the tdc_rush database on")
    args = parser.parse_args()

    url = database(args.database_url)
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as session:
        seed(session)
    chats = officers(engine, args.officers)
    settings = Settings(database_url=url, _env_file=None)
    conversation = Conversation(engine, settings)
    began = time.perf_counter()
    firsts = first_of_each_unit(engine, chats)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda chat: fill_annual_report(conversation, chat), firsts.values()))
    copy_forms(engine, firsts)
    print(f"setup: {len(chats)} officers with their annual report filled up to the last question "
          f"in {time.perf_counter() - began:.0f} s")

    with FakeTelegram() as fake:
        port = 18_000 + os.getpid() % 1000
        env = {**os.environ, "TDC_DATABASE_URL": url, "TDC_TELEGRAM_TOKEN": fake.token,
               "TDC_TELEGRAM_API_URL": fake.api_url, "TDC_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}",
               "TDC_WEBHOOK_SECRET": SECRET, "TDC_LISTEN": f"127.0.0.1:{port}"}
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            started = asyncio.run(rush(fake, base, chats, args.window))
            latencies = reply_latencies(fake, started)
        finally:
            bot.terminate()
            bot.wait(timeout=30)
    with Session(engine) as session:
        stored = session.exec(select(func.count()).select_from(AnnualReport)).one()
    print(f"rush: {len(started)} reports sent over {args.window:.0f} s; {stored} stored; "
          f"{len(latencies)} answered")
    print(f"reply time: p50 {percentile(latencies, 0.5) * 1000:.0f} ms, p95 {percentile(latencies, 0.95) * 1000:.0f} ms"
          f", max {max(latencies) * 1000:.0f} ms (aim: p95 under 1000 ms)")

    sample = chats[:200]
    threaded = asyncio.run(loop_lag(conversation, sample, inline=False))
    blocking = asyncio.run(loop_lag(conversation, sample, inline=True))
    print(f"event loop while {len(sample)} officers ask /nhiemvu at once:")
    for name, (elapsed, p99, worst) in (("worker threads (as built)", threaded), ("inline on the loop", blocking)):
        print(f"  {name:<26} {elapsed:6.2f} s   loop lag p99 {p99:7.1f} ms   max {worst:7.1f} ms")
    print(f"  max lag ratio inline / threads: {blocking[2] / max(threaded[2], 0.1):.0f}×")
    engine.dispose()


if __name__ == "__main__":
    main()
