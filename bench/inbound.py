"""Inbound throughput: N officers fill the /capnhat form at once against the fake Bot API server.

Prints updates per second and p95 reply latency for tdc-bot, next to a bare python-telegram-bot echo bot
measured in the same run on the same server, and the ratio between them (aims: at least 0.6, p95 under
500 ms).

    .venv/bin/python bench/inbound.py --officers 50
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.engine import Engine  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters  # noqa: E402

from bot.channels.telegram import TelegramInbox, build_application  # noqa: E402
from bot.conversation import Conversation  # noqa: E402
from bot.seed import seed  # noqa: E402
from bot.settings import Settings  # noqa: E402
from models import init_db, make_engine, session_scope  # noqa: E402
from tests.conftest import NOW, invite  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

FORM = ["/capnhat", "III.2", "2", "50%", "Đã cử cán bộ đi tập huấn", "30", "/boqua", "1"]


async def drive(fake: FakeTelegram, users: list[int], steps: list[str]) -> tuple[float, list[float]]:
    """Every user sends each step after the previous reply; returns elapsed seconds and reply latencies."""
    latencies: list[float] = []

    async def one(user: int, codes: list[str]) -> None:
        for text in codes:
            before = fake.counts[user]  # not messages_to(), whose scan of every message would starve the bot
            started = time.perf_counter()
            fake.send_text(user, text)
            while fake.counts[user] <= before:
                await asyncio.sleep(0.002)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(user, steps) for user in users))
    return time.perf_counter() - started, latencies


async def run_ours(settings: Settings, engine: Engine, fake: FakeTelegram, users: list[int],
                   steps: list[str]) -> tuple[float, list[float]]:
    """tdc-bot as `python -m bot run` wires it: the journal-first polling inbox over the conversation core."""
    app = build_application(settings)
    async with app:
        inbox = TelegramInbox(app.bot, Conversation(engine, settings, clock=lambda: NOW))
        stop = asyncio.Event()
        polling = asyncio.create_task(inbox.poll(stop))
        try:
            return await drive(fake, users, steps)
        finally:
            stop.set()
            await polling
            await inbox.conversation.drain()


async def run_app(app: Application, fake: FakeTelegram, users: list[int], steps: list[str]) -> tuple[float, list[float]]:
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            return await drive(fake, users, steps)
        finally:
            await app.updater.stop()
            await app.stop()


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.bot.send_message(update.effective_chat.id, update.message.text)


def report(name: str, elapsed: float, latencies: list[float]) -> float:
    rate = len(latencies) / elapsed
    p95 = statistics.quantiles(latencies, n=20)[18] if len(latencies) > 1 else latencies[0]
    print(f"{name:<8} {len(latencies):>6} updates  {elapsed:7.2f} s  {rate:8.1f} updates/s  p95 {p95 * 1000:7.1f} ms")
    return rate


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", type=int, default=50)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp())
    url = f"sqlite:///{workdir / 'bench.sqlite3'}"
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as session:
        seed(session)
    with FakeTelegram() as fake:
        settings = Settings(database_url=url, telegram_token=fake.token, telegram_api_url=fake.api_url,
                            rate_limit=100000, _env_file=None)
        users = list(range(10_000, 10_000 + args.officers))
        registration = [f"/start {invite(engine, '21040')}" for _ in users]
        await run_ours(settings, engine, fake, users, registration[:0])  # nothing yet: warms the client up
        await asyncio.gather(*(run_ours(settings, engine, fake, [u], [code]) for u, code in zip(users, registration)))
        ours = report("tdc-bot", *await run_ours(settings, engine, fake, users, FORM))
        echo_app = ApplicationBuilder().token(fake.token).base_url(fake.api_url).concurrent_updates(True).build()
        echo_app.add_handler(MessageHandler(filters.TEXT, echo))
        theirs = report("echo", *await run_app(echo_app, fake, [u + 100_000 for u in users], FORM))
    print(f"ratio tdc-bot / echo: {ours / theirs:.2f} (aims: at least 0.60, tdc-bot's p95 under 500 ms)")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
