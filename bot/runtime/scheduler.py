"""Time in the bot process: APScheduler runs the day's reminder cycle on a cron trigger in Vietnam time.

One cycle writes to the outbox what is due (reminders, on the digest day the managers' digest, and any
kick-off a new year or a changed plan calls for), then delivers the outbox, then prunes what is kept no
longer (bot/runtime/retention.py). The cycle also runs when the bot
starts during office hours, so a crash costs a delay, never a reminder; and every few minutes in office hours
the outbox is drained again, for messages that met a network error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import Engine

from bot.runtime.retention import prune
from bot.runtime.sender import DrainReport, Sender
from handlers.notices import scan
from jobs.calendar import CALENDAR, WorkingCalendar
from jobs.policy import DEFAULT_POLICY, ReminderPolicy
from models import session_scope

log = logging.getLogger("tdc.scheduler")
RETRY_MINUTES = 10


@dataclass
class ReminderCycle:
    engine: Engine
    sender: Sender
    clock: Callable[[], datetime]
    policy: ReminderPolicy = DEFAULT_POLICY
    calendar: WorkingCalendar = field(default=CALENDAR)
    keep_days: int = 30  # TDC_KEEP_DAYS: what bot/runtime/retention.py keeps

    def open_now(self, now: datetime) -> bool:
        return self.calendar.is_working_day(now.date()) and self.policy.in_office_hours(now.time())

    async def run(self, now: datetime | None = None) -> tuple[int, DrainReport]:
        now = now or self.clock()
        if not self.open_now(now):
            return 0, DrainReport()
        queued = await asyncio.to_thread(self._scan, now)
        report = await self.sender.drain()
        await asyncio.to_thread(prune, self.engine, self.keep_days)
        log.info("reminder cycle", extra={"queued": queued, "sent": report.sent, "left": report.left})
        return queued, report

    async def retry(self) -> None:
        """What met a network error; the minute's fresh notices are their courier's (bot/runtime/sender.py)."""
        if self.open_now(self.clock()):
            await self.sender.drain(settled=timedelta(minutes=1))

    def _scan(self, now: datetime) -> int:
        with session_scope(self.engine) as session:
            return scan(session, now, self.policy, self.calendar)

    def start(self, timezone: str) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler(timezone=timezone)
        at = self.policy.scan_at
        scheduler.add_job(self.run, CronTrigger(day_of_week="mon-fri", hour=at.hour, minute=at.minute,
                                                timezone=timezone), id="reminders", coalesce=True,
                          misfire_grace_time=3600)
        scheduler.add_job(self.retry, CronTrigger(day_of_week="mon-fri", minute=f"*/{RETRY_MINUTES}",
                                                  timezone=timezone), id="retry", coalesce=True)
        scheduler.start()
        if self.clock().time() >= at:
            scheduler.add_job(self.run, id="catch-up")  # started (or restarted) after today's run time
        return scheduler
