"""One scheduler at a time: bot processes sharing a PostgreSQL database elect one through an advisory lock,
and another takes over when it dies (kill -9, no goodbye)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import Engine

from bot.runtime.leader import SchedulerLeader
from models import make_engine
from tests.databases import BACKEND

ROOT = Path(__file__).resolve().parents[1]
LEADER_PROCESS = textwrap.dedent("""
    import sys, time
    from apscheduler.schedulers.background import BackgroundScheduler
    from bot.runtime.leader import SchedulerLeader
    from models import make_engine

    def start():
        scheduler = BackgroundScheduler()
        scheduler.start()
        return scheduler

    leader = SchedulerLeader(make_engine(sys.argv[1]), start)
    print("leading" if leader.try_lead() else "standby", flush=True)
    time.sleep(600)
""")


def scheduler() -> AsyncIOScheduler:
    started = AsyncIOScheduler()
    started.start()
    return started


@pytest.mark.skipif(BACKEND != "postgresql", reason="the advisory lock is PostgreSQL's; SQLite serves one process")
async def test_a_second_process_takes_over_when_the_leader_is_killed(db_url: str) -> None:
    first = subprocess.Popen([sys.executable, "-c", LEADER_PROCESS, db_url], cwd=ROOT, stdout=subprocess.PIPE,
                             text=True)
    here = SchedulerLeader(make_engine(db_url), scheduler, interval=0.1)
    try:
        assert first.stdout is not None and first.stdout.readline().strip() == "leading"
        assert not here.try_lead() and here.where() == "elsewhere" and here.scheduler is None
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        stop = asyncio.Event()
        running = asyncio.create_task(here.run(stop))
        for _ in range(100):
            if here.state == "leading":
                break
            await asyncio.sleep(0.1)
        assert here.state == "leading" and here.where() == "here"
        second = subprocess.run([sys.executable, "-c", LEADER_PROCESS.replace("time.sleep(600)", ""), db_url],
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert second.stdout.strip() == "standby"  # a third process waits its turn
        stop.set()
        await running
        assert here.scheduler is None  # stepped down on stop, lock released
    finally:
        first.kill()
        here.release()
        here.engine.dispose()


async def test_on_sqlite_or_alone_the_process_leads(engine: Engine) -> None:
    leader = SchedulerLeader(engine, scheduler)
    assert leader.where() == "nowhere"
    assert leader.try_lead() and leader.where() == "here"
    assert leader.try_lead()  # asking again while leading changes nothing
    leader.release()
    assert leader.state == "standby"
