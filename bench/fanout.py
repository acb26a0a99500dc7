"""Fan-out at national scale: 10,000 units with 3 officers each, on the seed plan.

(a) computes which reminders are due on a busy day (16/09/2025: 14 days before the Quý III deadline, which
    every commune-level unit leads) and renders them;
(b) pushes 10,000 messages through the sender to the fake Bot API server (in its own process) with the rate
    limit lifted, and reports messages per second;
(c) does the same for 1,000 messages at the default 25/s and shows the measured rate beside the limit.

    .venv/bin/python bench/fanout.py [--units 10000]

Aims: (a) under 2 s, the first whole scan under 20 s; (b) at least 0.8 of the bare client's rate; (c) within
5 % of 25/s.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert  # noqa: E402
from sqlmodel import Session, col, select, update  # noqa: E402

from bot.channels.telegram import CHANNEL, build_application, deliverer  # noqa: E402
from bot.cli.seed import seed  # noqa: E402
from bot.runtime.sender import Sender  # noqa: E402
from bot.settings import Settings  # noqa: E402
from handlers.machinery.outbox import OutgoingMessage, enqueue  # noqa: E402
from handlers.notices import reminder_messages, scan  # noqa: E402
from jobs.calendar import CALENDAR  # noqa: E402
from jobs.policy import DEFAULT_POLICY  # noqa: E402
from jobs.reminders import due_on  # noqa: E402
from models import Assignment, ChannelAccount, Member, Outbox, Unit, init_db, make_engine, session_scope  # noqa: E402

BUSY_DAY = date(2025, 9, 16)
TOKEN = "123456:TEST-TOKEN"


def build(engine, units: int) -> None:  # type: ignore[no-untyped-def]
    """Seeds the plan, then adds synthetic commune-level units with the assignments every commune has."""
    with session_scope(engine) as session:
        seed(session)
        template = session.exec(select(Unit).where(Unit.code == "21040")).one()
        roles = session.exec(select(Assignment.task_id, Assignment.role).where(Assignment.unit_id == template.id)).all()
        start = session.exec(select(func.max(Unit.id))).one() + 1
        new_ids = list(range(start, start + units))
        session.execute(insert(Unit), [{"id": i, "code": f"S{i}", "name": f"UBND xã Tổng hợp {i}", "kind": "commune",
                                        "aliases": [], "groups": []} for i in new_ids])
        session.execute(insert(Assignment), [{"task_id": t, "unit_id": i, "role": r} for i in new_ids for t, r in roles])
        members = [{"id": n + 1, "unit_id": i, "role": "officer", "language": "vi", "display_name": f"cb {n}",
                    "created_at": datetime.now()} for n, i in enumerate(i for i in new_ids for _ in range(3))]
        session.execute(insert(Member), members)
        session.execute(insert(ChannelAccount), [{"member_id": m["id"], "channel": CHANNEL, "external_id": str(m["id"]),
                                                  "chat_id": str(100_000 + m["id"]), "blocked": False,
                                                  "last_seen_at": datetime.now()} for m in members])


def compute(engine) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    with Session(engine) as session:
        messages = reminder_messages(session, due_on(session, BUSY_DAY, DEFAULT_POLICY, CALENDAR))
    return time.perf_counter() - started, len(messages)


async def push(engine, api_url: str, count: int, rate: float) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        session.exec(update(Outbox).values(status="sent"))  # type: ignore[call-overload]
        members = session.exec(select(Member.id).order_by(col(Member.id)).limit(count)).all()
        enqueue(session, [OutgoingMessage(f"bench:{rate}:{m}", "reminder", m, CHANNEL, str(100_000 + m),
                                          "Nhắc việc: còn 14 ngày đến hạn 30/09/2025.") for m in members])
    settings = Settings(database_url=str(engine.url), telegram_token=TOKEN, telegram_api_url=api_url,
                        rate_limit=rate, _env_file=None)
    application = build_application(settings)
    async with application:
        started = time.perf_counter()
        report = await Sender(engine, {CHANNEL: deliverer(application.bot)}).drain()
        return time.perf_counter() - started, report.sent


async def raw_ceiling(api_url: str, count: int, concurrency: int) -> float:
    """The same number of sendMessage calls with a bare httpx client (python-telegram-bot's HTTP library) and
    the sender's concurrency: what this machine can do at all, to read (b) against."""
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency)) as client:
        async def one(n: int) -> None:
            async with gate:
                await client.post(f"{api_url}{TOKEN}/sendMessage", data={"chat_id": str(n), "text": "x"})

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(count)))
        return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp())
    engine = make_engine(f"sqlite:///{workdir / 'fanout.sqlite3'}")
    init_db(engine)
    started = time.perf_counter()
    build(engine, args.units)
    print(f"built {args.units} units, {args.units * 3} officers in {time.perf_counter() - started:.1f} s")

    seconds, count = compute(engine)
    print(f"(a) due on {BUSY_DAY:%d/%m/%Y}: {count} reminders computed and rendered in {seconds:.2f} s (aim < 2 s)")

    for run in ("first (30,000 kick-off lists written too)", "again the same day"):
        started = time.perf_counter()
        with session_scope(engine) as session:
            written = scan(session, datetime.combine(BUSY_DAY, DEFAULT_POLICY.scan_at), DEFAULT_POLICY, CALENDAR)
        print(f"    the day's whole scan, {run}: {written} messages written in {time.perf_counter() - started:.2f} s"
              + (" (aim < 20 s)" if run.startswith("first") else ""))

    server = subprocess.Popen([sys.executable, str(ROOT / "bench" / "fast_fake_server.py")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    api_url = server.stdout.readline().strip()  # type: ignore[union-attr]
    try:
        seconds, sent = asyncio.run(push(engine, api_url, 10_000, rate=1_000_000))
        ceiling = asyncio.run(raw_ceiling(api_url, 10_000, Sender.workers))
        print(f"(b) {sent} messages, limit lifted: {seconds:.2f} s, {sent / seconds:.0f} messages/s; "
              f"bare httpx to the same server: {ceiling:.0f} requests/s; ratio {sent / seconds / ceiling:.2f} (aim ≥ 0.8)")
        seconds, sent = asyncio.run(push(engine, api_url, 1_000, rate=25))
        measured = sent / seconds
        print(f"(c) {sent} messages at TDC_RATE_LIMIT=25: {measured:.2f} messages/s, "
              f"{(measured / 25 - 1) * 100:+.1f} % from the limit (aim within ±5 %)")
    finally:
        server.stdin.close()  # type: ignore[union-attr]
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
