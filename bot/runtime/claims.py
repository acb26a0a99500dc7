"""Who sends an outbox row: the one sender that claimed it. Processes share the outbox (a new leader's
catch-up, every process's courier, the daily cycle), so each pending row is claimed by one conditional write
before it is sent: it takes only rows nobody holds, or whose holder is gone — a process of this machine that
no longer exists (a restart after a kill takes its rows at once), or any holder that stopped renewing its claim
for LEASE (a process on another machine). The claim is renewed while the sender works and released, for what it
did not send, when it is done.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select, update

from models import Outbox
from models.db import utcnow
from models.outbox import OutboxStatus

from bot.runtime.process import gone, this_process

LEASE = timedelta(minutes=2)  # a holder on another machine that was killed: its rows wait this long
RENEW_EVERY = 30.0  # seconds
CHUNK = 500


class Claim:
    """One sender's hold on the rows it is about to send (a drain's)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.holder = f"{this_process()}:{secrets.token_hex(2)}"

    def take(self, rows: list[Outbox]) -> list[Outbox]:
        """The rows this claim got, in the order given: those another sender holds are left to it."""
        got: set[int] = set()
        with Session(self.engine) as session:
            for start in range(0, len(rows), CHUNK):
                ids = [row.id for row in rows[start:start + CHUNK]]
                now = utcnow()
                dead = [holder for holder in session.exec(select(Outbox.claimed_by).distinct().where(
                    col(Outbox.id).in_(ids), col(Outbox.claimed_by).is_not(None))).all() if gone(holder)]
                session.exec(update(Outbox).where(  # type: ignore[call-overload]
                    col(Outbox.id).in_(ids), Outbox.status == OutboxStatus.PENDING,
                    or_(col(Outbox.claimed_until).is_(None), col(Outbox.claimed_until) < now,
                        col(Outbox.claimed_by).in_(dead)))
                    .values(claimed_by=self.holder, claimed_until=now + LEASE))
                session.commit()
                got.update(session.exec(select(Outbox.id).where(col(Outbox.id).in_(ids),
                                                                Outbox.claimed_by == self.holder)).all())
        return [row for row in rows if row.id in got]

    async def keep(self) -> None:
        """Renews the claim until cancelled (the drain ends)."""
        while True:
            await asyncio.sleep(RENEW_EVERY)
            try:
                await asyncio.to_thread(self._renew)
            except Exception:  # noqa: BLE001 (a database away: renewed at the next turn, or it lapses)
                pass

    def _renew(self) -> None:
        with Session(self.engine) as session:
            session.exec(update(Outbox).where(  # type: ignore[call-overload]
                Outbox.claimed_by == self.holder, Outbox.status == OutboxStatus.PENDING)
                .values(claimed_until=utcnow() + LEASE))
            session.commit()

    def release(self) -> None:
        """What was not sent goes back to any sender (a retry, another process) at once."""
        with Session(self.engine) as session:
            session.exec(update(Outbox).where(  # type: ignore[call-overload]
                Outbox.claimed_by == self.holder, Outbox.status == OutboxStatus.PENDING)
                .values(claimed_by=None, claimed_until=None))
            session.commit()
