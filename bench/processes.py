"""One process against two on one PostgreSQL: the same officers, the same form, updates per second and p95.

Each bot is `python -m bot run` in webhook mode, as deployed behind nginx; the bench is the load balancer
(round robin over the processes' ports) and the officers (threads, each posting the next step of `/capnhat` the
moment the reply to the last one reaches the stand-in Telegram server). One process is measured, then two, then
one again, then two again, each for `--seconds`, on the same database, and the figures printed side by side:

    .venv/bin/python bench/processes.py --database postgresql+psycopg://postgres@127.0.0.1:5432/postgres

A throwaway database is made on that server and dropped at the end. What a second process buys depends on the
cores: each process is one interpreter (one core at most for its Python), PostgreSQL and the platform take the
rest.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.cli.seed import seed  # noqa: E402
from models import init_db, make_engine, session_scope  # noqa: E402
from tests.conftest import invite  # noqa: E402
from tests.bot_processes import BotProcesses  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

FORM = ["/capnhat I.2", "1", "Đã tuyên truyền", "3", "/boqua", "1"]


class Load:
    """The officers and the round-robin balancer, counting replies and their latency."""

    def __init__(self, bots: BotProcesses, users: list[int]) -> None:
        self.bots, self.users = bots, users
        self.lock = threading.Lock()
        self.turn = 0

    def officer(self, user: int, until: float, latencies: list[float]) -> None:
        step = 0
        with httpx.Client() as client:
            while time.monotonic() < until:
                with self.lock:
                    process, self.turn = self.turn % len(self.bots.ports), self.turn + 1
                before = len(self.bots.fake.messages_to(user))
                sent = time.monotonic()
                self.bots.post(process, user, FORM[step % len(FORM)], client)
                while len(self.bots.fake.messages_to(user)) <= before:
                    if time.monotonic() > sent + 60:
                        return
                    time.sleep(0.002)
                latencies.append(time.monotonic() - sent)
                step += 1

    def run(self, seconds: float) -> tuple[float, float]:
        latencies: list[float] = []
        until = time.monotonic() + seconds
        threads = [threading.Thread(target=self.officer, args=(user, until, latencies)) for user in self.users]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        ordered = sorted(latencies)
        return len(latencies) / elapsed, ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, metavar="URL", help="a PostgreSQL server's URL")
    parser.add_argument("--officers", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=20.0, help="each measured run (20)")
    args = parser.parse_args()
    server = make_engine(args.database)
    name = f"tdc_processes_{uuid.uuid4().hex[:8]}"
    with server.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    url = make_url(args.database).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as session:
        seed(session)
    users = list(range(8_000, 8_000 + args.officers))
    results: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    try:
        with FakeTelegram() as fake:
            for count in (1, 2, 1, 2):
                bots = BotProcesses(fake, url, count, TDC_RATE_LIMIT="1000")
                try:
                    bots.healthy()
                    if not results[1]:  # the officers register once, on the first run
                        for user in users:
                            bots.say(0, user, f"/start {invite(engine, '21040')}")
                    load = Load(bots, users)
                    load.run(3.0)  # warm: caches, connections, the interpreters' first steps
                    results[count].append(load.run(args.seconds))
                finally:
                    bots.stop()
                rate, p95 = results[count][-1]
                print(f"{count} process(es): {rate:6.1f} updates/s, p95 {p95 * 1000:6.0f} ms", flush=True)
    finally:
        engine.dispose()
        with server.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        server.dispose()
    one, two = (statistics.median(rate for rate, _ in results[n]) for n in (1, 2))
    p95s = {n: statistics.median(p95 for _, p95 in results[n]) for n in (1, 2)}
    print(f"\n{args.officers} officers, {os.cpu_count()} cores: one process {one:.1f} updates/s (p95 "
          f"{p95s[1] * 1000:.0f} ms), two {two:.1f} (p95 {p95s[2] * 1000:.0f} ms): ratio two/one {two / one:.2f}")


if __name__ == "__main__":
    main()
