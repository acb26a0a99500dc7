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
import signal
import socket
import statistics
import subprocess
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
from tests.fake_telegram import FakeTelegram  # noqa: E402

SECRET = "bench-processes-secret-0123456789"
FORM = ["/capnhat I.2", "1", "Đã tuyên truyền", "3", "/boqua", "1"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(fake: FakeTelegram, url: str, count: int) -> tuple[list[subprocess.Popen[bytes]], list[int]]:
    ports = [free_port() for _ in range(count)]
    processes = []
    for port in ports:
        env = {**os.environ, "TDC_DATABASE_URL": url, "TDC_TELEGRAM_TOKEN": fake.token,
               "TDC_TELEGRAM_API_URL": fake.api_url, "TDC_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}",
               "TDC_WEBHOOK_SECRET": SECRET, "TDC_LISTEN": f"127.0.0.1:{port}", "TDC_RATE_LIMIT": "1000"}
        processes.append(subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for port in ports:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("a bot process did not come up")
            time.sleep(0.2)
    return processes, ports


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=60)


class Load:
    """The officers and the round-robin balancer, counting replies and their latency."""

    def __init__(self, fake: FakeTelegram, users: list[int]) -> None:
        self.fake, self.users = fake, users
        self.update_id = 1_000_000 + int(time.time())
        self.lock = threading.Lock()
        self.turn = 0

    def post(self, ports: list[int], client: httpx.Client, user: int, text: str) -> None:
        with self.lock:
            self.update_id += 1
            update_id, port = self.update_id, ports[self.turn % len(ports)]
            self.turn += 1
        update = {"update_id": update_id, "message": {
            "message_id": update_id, "date": int(time.time()), "text": text,
            "from": {"id": user, "is_bot": False, "first_name": "An"}, "chat": {"id": user, "type": "private"}}}
        client.post(f"http://127.0.0.1:{port}/telegram", json=update,
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=30)

    def officer(self, ports: list[int], user: int, until: float, latencies: list[float]) -> None:
        step = 0
        with httpx.Client() as client:
            while time.monotonic() < until:
                before = len(self.fake.messages_to(user))
                sent = time.monotonic()
                self.post(ports, client, user, FORM[step % len(FORM)])
                while len(self.fake.messages_to(user)) <= before:
                    if time.monotonic() > sent + 60:
                        return
                    time.sleep(0.002)
                latencies.append(time.monotonic() - sent)
                step += 1

    def run(self, ports: list[int], seconds: float) -> tuple[float, float]:
        latencies: list[float] = []
        until = time.monotonic() + seconds
        threads = [threading.Thread(target=self.officer, args=(ports, user, until, latencies)) for user in self.users]
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
            load = Load(fake, users)
            processes, ports = start(fake, url, 1)
            for user in users:
                before = len(fake.messages_to(user))
                load.post(ports, httpx.Client(), user, f"/start {invite(engine, '21040')}")
                while len(fake.messages_to(user)) <= before:
                    time.sleep(0.01)
            stop(processes)
            for count in (1, 2, 1, 2):
                processes, ports = start(fake, url, count)
                load.run(ports, 3.0)  # warm: caches, connections, the interpreters' first steps
                results[count].append(load.run(ports, args.seconds))
                stop(processes)
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
