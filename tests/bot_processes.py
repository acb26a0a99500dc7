"""Several bot processes as deployed: `python -m bot run` in webhook mode, sharing one PostgreSQL database."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import httpx

from tests.fake_telegram import FakeTelegram


class BotProcesses:
    """`python -m bot run` processes in webhook mode on one PostgreSQL database, each on a port of its own, the
    stand-in Telegram server as their platform: updates are posted to whichever the caller names (a test, or
    bench/processes.py acting as the load balancer)."""

    SECRET = "bot-processes-secret-0123456789"
    # Update ids across every set of processes on one database: the journal takes an id once, ever.
    _ids = itertools.count(int(time.time() * 1000))
    _lock = threading.Lock()

    def __init__(self, fake: FakeTelegram, db_url: str, count: int, **settings: str) -> None:
        self.fake, self.ports, self.processes = fake, [], []
        for _ in range(count):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.ports.append(probe.getsockname()[1])
        for port in self.ports:
            env = {**os.environ, "TDC_DATABASE_URL": db_url, "TDC_TELEGRAM_TOKEN": fake.token,
                   "TDC_TELEGRAM_API_URL": fake.api_url, "TDC_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}",
                   "TDC_WEBHOOK_SECRET": self.SECRET, "TDC_LISTEN": f"127.0.0.1:{port}", **settings}
            self.processes.append(subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env,
                                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def healthy(self) -> None:
        for port in self.ports:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "a process did not come up"
                time.sleep(0.2)

    def say(self, process: int, user: int, text: str) -> str:
        """Posts one message to a process and waits for the bot's answer to it, wherever it is sent from."""
        before = len(self.fake.messages_to(user))
        self.post(process, user, text)
        return self.wait_for(user, lambda texts: len(texts) > before, 30)[-1]

    def post(self, process: int, user: int, text: str, client: httpx.Client | None = None) -> None:
        """Posts one message; the process has stored it when this returns (its 200), not yet answered it."""
        with self._lock:
            update_id = next(self._ids)
        update = {"update_id": update_id, "message": {
            "message_id": update_id, "date": int(time.time()), "text": text,
            "from": {"id": user, "is_bot": False, "first_name": "An"}, "chat": {"id": user, "type": "private"}}}
        answer = (client or httpx).post(f"http://127.0.0.1:{self.ports[process]}/telegram", json=update, timeout=30,
                                        headers={"X-Telegram-Bot-Api-Secret-Token": self.SECRET})
        assert answer.status_code == 200

    def wait_for(self, user: int, enough: Callable[[list[str]], bool], seconds: float) -> list[str]:
        """The texts sent to a user once `enough` holds, waiting for it (never a fixed sleep)."""
        deadline = time.monotonic() + seconds
        while True:
            texts = [m.get("text", "") for m in self.fake.messages_to(user)]
            if enough(texts):
                return texts
            assert time.monotonic() < deadline, f"not within {seconds} s: {texts[-3:]}"
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM to each: what each stored is answered before it exits."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            process.wait(timeout=60)
