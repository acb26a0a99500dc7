"""The one way out for messages the bot sends on its own: the outbox, delivered at most one per second to a
chat, retried on 429 (after the platform's own retry_after), 5xx and network errors with backoff, and never
lost. A message still failing after MAX_AGE is given up (FAILED); a member who blocked the bot is marked
unreachable and named to managers in the digest.

The overall rate (TDC_RATE_LIMIT) on Telegram is held by bot/channels/ratelimit.py's limiter inside the Bot the sender
is given, which replies to users share, so both kinds of traffic count against one limit.

A row is marked sent right after the platform accepts it, and a worker sends its next message only once that
mark is written. A process killed between the two sends that one message again on restart: the platform
offers no idempotency key, so the window cannot be closed, only bounded, to one message per worker
(TDC_SEND_WORKERS, chats served at once); losing the message instead would be worse. Marks are
group-committed: the workers' marks that arrive while one write runs go together in the next.
The same write makes a notice with buttons the menu its member's typed numbers answer (handlers/machinery/menu.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select, update

from bot.runtime.claims import Claim
from bot.runtime.delivery import Deliver, Misconfigured, PartlySent, TryLater, Undeliverable, Unreachable
from handlers.machinery import menu
from handlers.machinery.messages import Button, Reply
from models import ChannelAccount, Outbox
from models.db import utcnow
from models.outbox import SCHEDULED_KINDS, OutboxStatus

log = logging.getLogger("tdc.sender")
MARKS_PER_STATEMENT = 500
MAX_AGE = timedelta(days=3)  # a message that failed and is older than this is given up



@dataclass
class DrainReport:
    sent: int = 0
    unreachable: int = 0
    left: int = 0
    given_up: int = 0


@dataclass
class Sender:
    engine: Engine
    channels: dict[str, Deliver]
    per_chat_interval: float = 1.0
    attempts: int = 6  # per drain; a message still failing stays pending for the next drain
    backoff: float = 0.5  # seconds, doubled on each failure
    workers: int = 16  # chats served at once; more only queues in the HTTP pool (measured: bench/fanout.py)
    on_sent: Callable[[], None] | None = None  # told of each message delivered (the command line's progress bar)
    _pause_until: float = field(default=0.0, init=False)
    _misconfigured: bool = field(default=False, init=False)

    async def drain(self, keys: set[str] | None = None, settled: timedelta | None = None,
                    left: bool = False) -> DrainReport:
        """Delivers what is pending: only the rows of `keys` (the courier's), or only those older than
        `settled` (the periodic retry, which leaves fresh ones to the courier of the process that wrote them),
        or, `left`, the people's acts that no sender has tried yet (every courier's pickup)."""
        given_up = 0 if left else await asyncio.to_thread(self._give_up_old)  # the pickup looks every few seconds
        claim = Claim(self.engine)
        pending = await asyncio.to_thread(self._pending, keys, settled, left)
        rows = await asyncio.to_thread(claim.take, [row for row in pending if row.channel in self.channels])
        by_chat: dict[tuple[str, str], list[Outbox]] = defaultdict(list)
        for row in rows:
            by_chat[(row.channel, row.chat_id)].append(row)
        report = DrainReport()
        gate = asyncio.Semaphore(self.workers)
        marks = SentMarks(self.engine)
        renewing = asyncio.create_task(claim.keep())
        try:
            await asyncio.gather(*(self._chat(gate, messages, report, marks) for messages in by_chat.values()))
        finally:
            renewing.cancel()
            await marks.written()
            try:
                await asyncio.shield(asyncio.to_thread(claim.release))
            except Exception as error:  # noqa: BLE001 (the database away: the claim lapses after its lease)
                log.warning("claim not released", extra={"error": type(error).__name__})
        report.left = len(rows) - report.sent - report.unreachable - report.given_up
        report.given_up += given_up
        return report

    async def _chat(self, gate: asyncio.Semaphore, messages: list[Outbox], report: DrainReport,
                    marks: SentMarks) -> None:
        async with gate:
            last = 0.0
            for row in messages:
                await asyncio.sleep(max(0.0, last + self.per_chat_interval - time.monotonic()))
                outcome = await self._deliver(row, marks)
                last = time.monotonic()
                if outcome == OutboxStatus.SENT:
                    report.sent += 1
                    if self.on_sent is not None:
                        self.on_sent()
                elif outcome == OutboxStatus.UNREACHABLE:
                    report.unreachable += 1
                    return  # the rest of this chat's messages would fail the same way
                elif outcome == OutboxStatus.FAILED:
                    report.given_up += 1  # this one message; the chat's next ones go on
                else:
                    return  # keep this chat's order: the rest waits for the next drain

    async def _deliver(self, row: Outbox, marks: SentMarks) -> str:
        deliver = self.channels[row.channel]
        message = Reply(row.text, tuple(Button(token, label) for token, label in row.buttons))
        for attempt in range(self.attempts):
            await asyncio.sleep(max(0.0, self._pause_until - time.monotonic()))
            try:
                try:
                    await deliver(row.chat_id, message)
                except PartlySent as partial:  # the next try sends only what is left
                    message = partial.rest
                    raise partial.cause from None
            except Unreachable as error:
                await asyncio.to_thread(self._mark_unreachable, row, str(error))
                return OutboxStatus.UNREACHABLE
            except Undeliverable as error:
                await asyncio.to_thread(self._mark_failed, row, str(error))
                return OutboxStatus.FAILED
            except Misconfigured as error:
                if not self._misconfigured:
                    log.error("the platform refuses the bot: check its token", extra={"channel": row.channel,
                                                                                     "error": str(error)[:200]})
                self._misconfigured = True
                return OutboxStatus.PENDING
            except TryLater as error:
                await asyncio.to_thread(self._note_failure, row.id or 0, str(error))
                if error.retry_after:  # the platform asks everyone to wait, not just this chat
                    self._pause_until = max(self._pause_until, time.monotonic() + error.retry_after)
                else:
                    await asyncio.sleep(self.backoff * 2 ** attempt)
                continue
            try:
                await marks.mark(row)
            except Exception as error:  # noqa: BLE001 (sent, not marked: the next drain resends this one)
                log.error("sent but not marked", extra={"error": type(error).__name__})
                return OutboxStatus.PENDING
            return OutboxStatus.SENT
        return OutboxStatus.PENDING

    def _pending(self, keys: set[str] | None = None, settled: timedelta | None = None,
                 left: bool = False) -> list[Outbox]:
        with Session(self.engine, expire_on_commit=False) as session:
            blocked = select(ChannelAccount.member_id).where(col(ChannelAccount.blocked).is_(True))
            query = select(Outbox).where(Outbox.status == OutboxStatus.PENDING, col(Outbox.member_id).not_in(blocked))
            if left:  # a person's act nobody has tried to send yet: the one that wrote it stopped, or is busy
                query = query.where(col(Outbox.kind).not_in(SCHEDULED_KINDS), Outbox.attempts == 0,
                                    col(Outbox.created_at) > utcnow() - MAX_AGE)
            if settled is not None:
                query = query.where(col(Outbox.created_at) < utcnow() - settled)
            if keys is None:
                return list(session.exec(query.order_by(col(Outbox.id))))
            ordered = sorted(keys)
            found = [row for start in range(0, len(ordered), MARKS_PER_STATEMENT) for row in session.exec(
                query.where(col(Outbox.key).in_(ordered[start:start + MARKS_PER_STATEMENT])))]
            return sorted(found, key=lambda row: row.id or 0)

    def still_pending(self, keys: set[str]) -> set[str]:
        """Which of these messages are still to be sent (neither sent, given up, nor unreachable)."""
        found: set[str] = set()
        ordered = sorted(keys)
        with Session(self.engine) as session:
            for start in range(0, len(ordered), MARKS_PER_STATEMENT):
                found.update(session.exec(select(Outbox.key).where(
                    col(Outbox.key).in_(ordered[start:start + MARKS_PER_STATEMENT]),
                    Outbox.status == OutboxStatus.PENDING)).all())
        return found

    def _give_up_old(self) -> int:
        """Messages that kept failing for MAX_AGE are not tried again: a reminder days late helps nobody."""
        with Session(self.engine) as session:
            result = session.exec(update(Outbox).where(  # type: ignore[call-overload]
                Outbox.status == OutboxStatus.PENDING, col(Outbox.attempts) > 0,
                col(Outbox.created_at) < utcnow() - MAX_AGE).values(status=OutboxStatus.FAILED))
            session.commit()
        if result.rowcount:
            log.warning("messages given up", extra={"messages": result.rowcount})
        return int(result.rowcount or 0)

    def _note_failure(self, row_id: int, error: str) -> None:
        with Session(self.engine) as session:
            session.exec(update(Outbox).where(col(Outbox.id) == row_id)  # type: ignore[call-overload]
                         .values(attempts=Outbox.attempts + 1, last_error=error[:500]))
            session.commit()

    def _mark_failed(self, row: Outbox, error: str) -> None:
        with Session(self.engine) as session:
            session.exec(update(Outbox).where(col(Outbox.id) == row.id)  # type: ignore[call-overload]
                         .values(status=OutboxStatus.FAILED, last_error=error[:500], attempts=Outbox.attempts + 1))
            session.commit()
        log.warning("message refused by the platform", extra={"channel": row.channel, "kind": row.kind,
                                                              "error": error[:200]})

    def _mark_unreachable(self, row: Outbox, error: str) -> None:
        with Session(self.engine) as session:
            session.exec(update(Outbox).where(col(Outbox.id) == row.id)  # type: ignore[call-overload]
                         .values(status=OutboxStatus.UNREACHABLE, last_error=error[:500]))
            session.commit()
        mark_blocked(self.engine, row.channel, row.chat_id)
        log.warning("member unreachable", extra={"member": row.member_id, "channel": row.channel})


def mark_blocked(engine: Engine, channel: str, chat_id: str) -> None:
    """The account no longer receives anything; the managers' digest names it."""
    with Session(engine) as session:
        session.exec(update(ChannelAccount)  # type: ignore[call-overload]
                     .where(ChannelAccount.channel == channel, ChannelAccount.chat_id == chat_id)
                     .values(blocked=True))
        session.commit()


class SentMarks:
    """Rows the platform accepted, marked sent by group commit: one write carries every row accepted while the
    write before it ran; `mark` returns once its row's write is committed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._waiting: list[tuple[Outbox, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def mark(self, row: Outbox) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((row, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_all())
        await future

    async def written(self) -> None:
        """Waits until every mark has been written."""
        if self._writer is not None:
            await self._writer

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await asyncio.to_thread(self._write, [row for row, _ in batch])
            except Exception as error:  # noqa: BLE001 (handed to every worker waiting on this write)
                for _, future in batch:
                    if not future.done():  # a worker cancelled meanwhile (shutdown) waits for nothing
                        future.set_exception(error)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    def _write(self, rows: list[Outbox]) -> None:
        with Session(self.engine) as session:
            for start in range(0, len(rows), MARKS_PER_STATEMENT):
                ids = [row.id for row in rows[start:start + MARKS_PER_STATEMENT]]
                session.exec(update(Outbox).where(col(Outbox.id).in_(ids))  # type: ignore[call-overload]
                             .values(status=OutboxStatus.SENT, sent_at=utcnow(), attempts=Outbox.attempts + 1,
                                     claimed_by=None, claimed_until=None))
            menu.delivered(session, [(row.member_id, [token for token, _ in row.buttons]) for row in rows])
            session.commit()


class Courier:
    """Delivers within seconds what a person's act queued — a return, an extension request, a decision, an
    acceptance — in office hours or not: the conversation wakes it once the act is committed (`wake`, safe to
    call from the dispatcher's worker thread). What the platform refused for now is tried again on the
    courier's own schedule (RETRY_DELAYS), at any hour, not at the office-hours retry of the reminder cycle.
    A process that stops sends what it queued before it exits (at most FINAL_SECONDS), else leaves it
    unclaimed for the others. Scheduled reminders keep the reminder cycle's office hours."""

    RETRY_DELAYS = (5.0, 15.0, 60.0, 300.0)  # seconds; then every five minutes until the sender gives it up
    FINAL_SECONDS = 10.0
    PICKUP_SECONDS = 5.0  # how often it looks for people's acts any process left unsent (NOTIFY's fallback)

    def __init__(self, sender: Sender, retry_delays: tuple[float, ...] = RETRY_DELAYS,
                 pickup_every: float = PICKUP_SECONDS) -> None:
        self.sender, self.retry_delays, self.pickup_every = sender, retry_delays, pickup_every
        self._keys: set[str] = set()
        self._unsent: set[str] = set()
        self._failures = 0
        self._ready = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pickup_due = 0.0  # loop time of the next look for what is left

    def wake(self, keys: list[str]) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._add, keys)

    def poke(self) -> None:
        """Some process committed a person's act (a NOTIFY, bot/runtime/wakeup.py): look for what is left
        unsent now, not at the next look."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._poked)

    def _add(self, keys: list[str]) -> None:
        self._keys.update(keys)
        self._ready.set()

    def _poked(self) -> None:
        self._pickup_due = 0.0
        self._ready.set()

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._pickup_due = self._loop.time() + self.pickup_every
        while not stop.is_set():
            await self._next(stop)
            if stop.is_set():
                break
            self._ready.clear()
            if self._keys or self._unsent:
                await self._deliver()
            if self._loop.time() >= self._pickup_due:
                await self._pick_up()
        if self._keys or self._unsent:
            try:
                await asyncio.wait_for(self._deliver(), self.FINAL_SECONDS)
            except (TimeoutError, asyncio.TimeoutError):
                log.warning("notices left to the other processes", extra={"notices": len(self._keys | self._unsent)})

    async def _next(self, stop: asyncio.Event) -> None:
        """Until woken, stopped, or the time to try again what was refused."""
        waiting = asyncio.ensure_future(self._ready.wait())
        stopping = asyncio.ensure_future(stop.wait())
        assert self._loop is not None
        delay = max(0.0, self._pickup_due - self._loop.time())
        if self._unsent:
            delay = min(delay, self.retry_delays[min(self._failures, len(self.retry_delays)) - 1])
        await asyncio.wait({waiting, stopping}, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        stopping.cancel()

    async def _pick_up(self) -> None:
        """What any process queued for a person's act and nobody has tried to send: its own courier stopped or
        died before it could. Claims keep each row to one sender, whichever courier looks first."""
        assert self._loop is not None
        self._pickup_due = self._loop.time() + self.pickup_every
        try:
            await self.sender.drain(left=True)
        except Exception as error:  # noqa: BLE001 (looked for again at the next pickup)
            log.warning("notices left unsent not picked up now", extra={"error": type(error).__name__})

    async def _deliver(self) -> None:
        keys, self._keys, self._unsent = self._keys | self._unsent, set(), set()
        try:
            await self.sender.drain(keys=keys)
        except Exception as error:  # noqa: BLE001 (tried again on the courier's schedule)
            log.warning("notices not delivered now", extra={"error": type(error).__name__})
        try:
            self._unsent = await asyncio.to_thread(self.sender.still_pending, keys)
        except Exception:  # noqa: BLE001 (the database away: all of them are tried again)
            self._unsent = keys
        self._failures = self._failures + 1 if self._unsent else 0
