"""Inbound throughput: N officers fill the /capnhat form at once against the fake Bot API server.

Three parts, in one run:

1. What a step costs: one officer fills the form in process, step by step, through the journal as the bot runs
   it; for each step the statements sent to the database and the milliseconds spent storing it (record),
   handling it (process: dispatcher, form engine, commit) and marking it answered — medians of `--repeat`.
2. Saturated: every officer sends each step the moment the previous reply arrives. tdc-bot (the journal-first
   polling inbox) and a bare python-telegram-bot echo bot take turns on the same fake server, `--runs` times;
   updates per second and p95 reply latency of each run, their medians and the ratio (aim: at least 0.6). In
   a closed loop like this the mean latency is officers ÷ throughput (Little's law), whatever the bot. The
   share of CPU the hypervisor gave to other machines meanwhile is printed too: on a shared virtual machine it
   went from 0 % to 34 % within an hour, and with it every figure.
3. Paced: each officer reads the question and types the answer (`--think` seconds, 5 by default, spread ±50 %)
   before the next step, as people on phones do; p95 reply latency of tdc-bot (aims: under 500 ms at 50 officers
   on SQLite, under 1 s at 200 on PostgreSQL).

    .venv/bin/python bench/inbound.py --officers 50
    .venv/bin/python bench/inbound.py --officers 200 --database postgresql+psycopg://postgres@127.0.0.1:5432/postgres

With a PostgreSQL server's URL the bench creates a throwaway database on it and drops it at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters  # noqa: E402

from bot.runtime import journal  # noqa: E402
from bot.channels.telegram import build_application  # noqa: E402
from bot.service import wire_telegram  # noqa: E402
from bot.runtime.conversation import Conversation  # noqa: E402
from bot.cli.seed import seed  # noqa: E402
from bot.settings import Settings  # noqa: E402
from handlers.machinery.messages import Incoming  # noqa: E402
from models import init_db, make_engine, session_scope  # noqa: E402
from tests.conftest import NOW, invite  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

FORM = ["/capnhat", "III.2", "2", "50%", "Đã cử cán bộ đi tập huấn", "30", "/boqua", "1"]
UNIT = "21040"


class Apart:
    """The fake server and the officers' phones in a process of their own, as Telegram is in reality: the bot's
    process then spends its CPU on the bot only. Driven through a pipe (`--platform-apart`)."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_platform, args=(child,), daemon=True)
        self._process.start()
        self.token, self.api_url = self._pipe.recv()

    async def drive(self, users: list[int], steps: list[str], think: float = 0.0) -> tuple[float, list[float]]:
        self._pipe.send((users, steps, think))
        return await asyncio.to_thread(self._pipe.recv)  # type: ignore[no-any-return]

    def close(self) -> None:
        self._pipe.send(None)
        self._process.join(timeout=10)


def _platform(pipe: Any) -> None:
    """The child of Apart: a fake server, and officers that send what the parent asks, timing the replies."""
    with FakeTelegram() as fake:
        pipe.send((fake.token, fake.api_url))
        while (order := pipe.recv()) is not None:
            pipe.send(asyncio.run(drive(fake, *order)))


class InProcess:
    """The fake server and the officers in the bench's own process, beside the bot (the default)."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake, self.token, self.api_url = fake, fake.token, fake.api_url

    async def drive(self, users: list[int], steps: list[str], think: float = 0.0) -> tuple[float, list[float]]:
        return await drive(self.fake, users, steps, think)


Platform = Apart | InProcess


async def drive(fake: FakeTelegram, users: list[int], steps: list[str], think: float = 0.0,
                ) -> tuple[float, list[float]]:
    """Every user sends each step after the previous reply (and `think` seconds, ±50 %, when pacing); returns
    elapsed seconds and reply latencies."""
    latencies: list[float] = []
    pace = random.Random(1703)

    async def one(user: int, codes: list[str]) -> None:
        for text_ in codes:
            if think:
                await asyncio.sleep(think * pace.uniform(0.5, 1.5))
            before = fake.counts[user]  # not messages_to(), whose scan of every message would starve the bot
            started = time.perf_counter()
            fake.send_text(user, text_)
            while fake.counts[user] <= before:
                await asyncio.sleep(0.002)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one(user, steps) for user in users))
    return time.perf_counter() - started, latencies


async def run_ours(settings: Settings, engine: Engine, fake: Platform, users: list[int],
                   steps: list[str], think: float = 0.0) -> tuple[float, list[float]]:
    """tdc-bot as `python -m bot run` wires it: the journal-first polling inbox over the conversation core."""
    app = build_application(settings)
    async with app:
        inbox = wire_telegram(app.bot, Conversation(engine, settings, clock=lambda: NOW))
        stop = asyncio.Event()
        polling = asyncio.create_task(inbox.poll(stop))
        try:
            return await fake.drive(users, steps, think)
        finally:
            stop.set()
            await polling
            await inbox.conversation.drain()


async def run_echo(fake: Platform, users: list[int], steps: list[str]) -> tuple[float, list[float]]:
    """The bare python-telegram-bot echo bot, concurrent updates on: the floor of what the client costs."""
    app = ApplicationBuilder().token(fake.token).base_url(fake.api_url).concurrent_updates(True).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            return await fake.drive(users, steps)
        finally:
            await app.updater.stop()
            await app.stop()


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.bot.send_message(update.effective_chat.id, update.message.text)


class Steal:
    """The share of the machine's CPU time the hypervisor gave to others (/proc/stat's "steal"), over a stretch
    of the bench: on a shared virtual machine the figures mean little when it is high. None off Linux."""

    def __init__(self) -> None:
        self._start = self._read()

    @staticmethod
    def _read() -> list[int] | None:
        try:
            with open("/proc/stat") as stat:
                return [int(field) for field in stat.readline().split()[1:9]]
        except (OSError, ValueError):
            return None

    def share(self) -> float | None:
        end = self._read()
        if self._start is None or end is None or len(end) < 8:
            return None
        spent = [b - a for a, b in zip(self._start, end)]
        return spent[7] / sum(spent) if sum(spent) else None


def figures(elapsed: float, latencies: list[float]) -> tuple[float, float]:
    """Updates per second and p95 latency in ms."""
    p95 = statistics.quantiles(latencies, n=20)[18] if len(latencies) > 1 else latencies[0]
    return len(latencies) / elapsed, p95 * 1000


def register(engine: Engine, conversation: Conversation, users: list[int]) -> None:
    """Every officer joins the unit with an invitation, as on Telegram (set-up, not measured)."""
    for user in users:
        conversation.handle_sync(Incoming(channel="telegram", chat_id=str(user), user_id=str(user), time=NOW,
                                          text=f"/start {invite(engine, UNIT)}", name="Cán bộ"))


def step_costs(engine: Engine, conversation: Conversation, repeat: int) -> None:
    """Part 1: statements and milliseconds by phase for each step of the form, medians of `repeat` officers."""
    statements = [0]

    def counted(*_: object) -> None:
        statements[0] += 1

    event.listen(engine, "before_cursor_execute", counted)
    rows: dict[str, list[tuple[int, float, float, float]]] = {step: [] for step in FORM}
    for n in range(repeat + 1):  # the first officer warms the caches up and is not counted
        user = 900_000 + n

        def incoming(said: str) -> Incoming:
            return Incoming(channel="telegram", chat_id=str(user), user_id=str(user), time=NOW, text=said,
                            name="Cán bộ")

        register(engine, conversation, [user])
        for step in FORM:
            statements[0] = 0
            began = time.perf_counter()
            entry = journal.record(engine, incoming(step))
            stored = time.perf_counter()
            assert entry is not None
            conversation.process(entry)
            processed = time.perf_counter()
            journal.mark_answered(engine, entry)
            answered = time.perf_counter()
            if n:
                rows[step].append((statements[0], stored - began, processed - stored, answered - processed))
    event.remove(engine, "before_cursor_execute", counted)
    print(f"What a step costs (one officer, medians of {repeat}):")
    print(f"  {'step':<28}{'statements':>10}{'record':>9}{'process':>9}{'answered':>9}{'all':>9}  (ms)")
    totals = [0.0] * 4
    for step, measured in rows.items():
        count = int(statistics.median(m[0] for m in measured))
        phases = [statistics.median(m[i] for m in measured) * 1000 for i in (1, 2, 3)]
        totals = [totals[0] + count, *(t + p for t, p in zip(totals[1:], phases))]
        print(f"  {step[:27]:<28}{count:>10}{phases[0]:>9.2f}{phases[1]:>9.2f}{phases[2]:>9.2f}{sum(phases):>9.2f}")
    print(f"  {'mean per step':<28}{totals[0] / len(FORM):>10.1f}" + "".join(
        f"{t / len(FORM):>9.2f}" for t in totals[1:]) + f"{sum(totals[1:]) / len(FORM):>9.2f}")


@contextmanager
def platform(apart: bool) -> Iterator[Platform]:
    if apart:
        child = Apart()
        try:
            yield child
        finally:
            child.close()
        return
    with FakeTelegram() as fake:
        yield InProcess(fake)


@contextmanager
def database(url: str | None) -> Iterator[str]:
    """A fresh database: a SQLite file in a temporary folder, or a throwaway database on a PostgreSQL server."""
    if url is None or url.startswith("sqlite"):
        workdir = Path(tempfile.mkdtemp())
        try:
            yield f"sqlite:///{workdir / 'bench.sqlite3'}"
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return
    name = f"tdc_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return number


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", type=positive, default=50, help="officers filling the form at once (50)")
    parser.add_argument("--runs", type=positive, default=3, help="saturated runs of each bot; medians are printed (3)")
    parser.add_argument("--think", type=float, default=5.0,
                        help="seconds an officer takes to read a question and type the answer, in the paced part (5)")
    parser.add_argument("--repeat", type=positive, default=20, help="officers measured in the step costs (20)")
    parser.add_argument("--platform-apart", action="store_true",
                        help="run the fake server and the officers in a process of their own, not the bench's")
    parser.add_argument("--database", metavar="URL",
                        help="a PostgreSQL server to bench on (a throwaway database is made on it); SQLite if none")
    args = parser.parse_args()
    with database(args.database) as url:
        engine = make_engine(url)
        init_db(engine)
        with session_scope(engine) as session:
            seed(session)
        print(f"database: {engine.dialect.name}, {args.officers} officers, {len(FORM)} steps each, the fake server "
              + ("in a process of its own" if args.platform_apart else "in the bench's process"))
        step_costs(engine, Conversation(engine, Settings(database_url=url, _env_file=None), clock=lambda: NOW),
                   args.repeat)
        with platform(args.platform_apart) as fake:
            settings = Settings(database_url=url, telegram_token=fake.token, telegram_api_url=fake.api_url,
                                rate_limit=100000, _env_file=None)
            users = list(range(10_000, 10_000 + args.officers))
            register(engine, Conversation(engine, settings, clock=lambda: NOW), users)
            await run_ours(settings, engine, fake, users[:1], ["/nhiemvu"])  # the client warmed up
            await run_echo(fake, [u + 100_000 for u in users], FORM[:1])  # both clients warmed up
            print("Saturated (each step sent as soon as the reply arrives):")
            ours, theirs = [], []
            steal = Steal()
            for run in range(args.runs):
                ours.append(figures(*await run_ours(settings, engine, fake, users, FORM)))
                theirs.append(figures(*await run_echo(fake, [u + 100_000 for u in users], FORM)))
                print(f"  run {run + 1}: tdc-bot {ours[-1][0]:6.1f} updates/s, p95 {ours[-1][1]:7.1f} ms;"
                      f"  echo {theirs[-1][0]:6.1f} updates/s, p95 {theirs[-1][1]:7.1f} ms;"
                      f"  ratio {ours[-1][0] / theirs[-1][0]:.2f}")
            rate, p95 = (statistics.median(o[i] for o in ours) for i in (0, 1))
            echo_rate, echo_p95 = (statistics.median(t[i] for t in theirs) for i in (0, 1))
            print(f"  median: tdc-bot {rate:6.1f} updates/s, p95 {p95:7.1f} ms;  echo {echo_rate:6.1f} updates/s, "
                  f"p95 {echo_p95:7.1f} ms;  ratio {rate / echo_rate:.2f} (aim: at least 0.60)")
            if (stolen := steal.share()) is not None:
                print(f"  CPU stolen by the hypervisor meanwhile: {stolen:.0%} (a quiet machine: 0-5 %)")
            paced_rate, paced_p95 = figures(*await run_ours(settings, engine, fake, users, FORM, think=args.think))
            print(f"Paced ({args.think:g} s ±50 % between steps, {paced_rate:.1f} updates/s arriving): "
                  f"tdc-bot p95 {paced_p95:7.1f} ms")
        engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
