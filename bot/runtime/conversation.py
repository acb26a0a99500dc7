"""The bridge every channel crosses: an update is journaled, processed once in its own transaction, answered.

    receive(incoming)  store it in the inbound journal (a redelivery is ignored), then answer it
    store(incoming)    only the journal: a webhook acknowledges once this returns
    answer(entry)      process it once, send the replies through the channel's `send`, mark it answered
    answer_later(…)    the same in the background, for an adapter that must acknowledge first; drain() waits
    recover()          on start: process what a crash left pending, send replies it kept from going out

The dispatcher is pure and blocking: it runs in a worker thread, so the event loop keeps serving other chats
(bench/rush.py measures the loop's lag), and messages of one chat are serialised so a quick double answer
cannot race itself through a form. A handler that raises leaves its update marked failed with the error;
the member gets a short apology, and the updates behind it go on.

Nothing stops the bot: while the database is away (`DATABASE_AWAY` errors) an update waits, retried with
backoff, and is answered when the database is back; an update the database refuses outright is tried three
times, logged and skipped. A reply the platform refuses for now (429, 5xx) is retried within seconds, after
the platform's retry_after; one that cannot be delivered at all is given up, and a member who blocked the bot
is marked unreachable; a long reply whose later part failed resends only what is left.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError

from bot.runtime import exports, journal
from bot.runtime.logs import describe_error
from bot.runtime.delivery import Deliver, Misconfigured, PartlySent, TryLater, Undeliverable, Unreachable
from bot.runtime.sender import mark_blocked
from bot.settings import Settings
from handlers.dispatcher import dispatch
from handlers.machinery.messages import Deferred, Incoming, Reply
from handlers.machinery.outbox import queued
from locales import lang
from models import session_scope
from models.db import utcnow
from models.inbound import InboundStatus
from reports.docx import Signer

log = logging.getLogger("tdc.conversation")
T = TypeVar("T")
SETTLED = timedelta(minutes=2)  # an update older than this that is not answered is not on its way any more
DATABASE_AWAY = (OperationalError, InterfaceError, DisconnectionError)  # the server is down or restarting
LONGEST_WAIT = 30.0  # seconds between two tries while the database is away
REFUSALS = 3  # an update the database refuses this often (not an outage) is skipped
REPLY_TRIES = 4  # a reply refused for now: tried again after 1, 2, 4 s (or the platform's retry_after)
GIVE_UP = timedelta(days=1)  # a reply not delivered by then is dropped: it answers something long past


def away(error: BaseException) -> bool:
    """Whether a database error means the server is away (wait for it), not that it refused this update."""
    return isinstance(error, DATABASE_AWAY) or (isinstance(error, DBAPIError) and error.connection_invalidated)


class Conversation:
    def __init__(self, engine: Engine, settings: Settings, clock: Callable[[], datetime] | None = None,
                 on_queued: Callable[[list[str]], None] | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.signer = Signer(settings.signer_title, settings.signer_name)  # who signs the Word drafts it exports
        self.clock = clock or settings.now  # the province's local time; tests pass a fixed one
        self.channels: dict[str, Deliver] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._background: set[asyncio.Task[None]] = set()
        # The journal's and the handlers' database work, off the event loop, on threads of its own (see
        # Settings.handler_threads); other work keeps the loop's default executor.
        self._pool = ThreadPoolExecutor(settings.handler_threads, thread_name_prefix="tdc-handler")
        self._to_mark: list[tuple[int, asyncio.Future[None]]] = []  # answered, waiting for their mark (_mark)
        self._marking: asyncio.Task[None] | None = None
        # Told the outbox keys a message's handling queued, once committed (bot/runtime/sender.py's Courier); called
        # from the worker thread.
        self.on_queued = on_queued

    def connect(self, channel: str, send: Deliver) -> None:
        self.channels[channel] = send

    def handle_sync(self, incoming: Incoming) -> list[Reply]:
        """Journal and process in the calling thread; the caller shows the replies (console, tests), a file a
        reply promises made right after it, in the same thread."""
        entry_id = journal.record(self.engine, incoming)
        if entry_id is None:
            return []
        replies = self.process(entry_id)
        journal.mark_answered(self.engine, entry_id)
        return replies + [exports.make(self.settings.database_url, r.later, self.settings.timezone, self.signer)
                          for r in replies if r.later is not None]

    def process(self, entry_id: int) -> list[Reply]:
        """Runs the update through the dispatcher once: its effects, its replies and "done" commit together."""
        try:
            with session_scope(self.engine) as session:
                entry = journal.claim(session, entry_id)
                if entry is None:  # processed already, by another worker or before a crash
                    return []
                incoming = journal.incoming_of(entry)
                replies = dispatch(session, incoming, self.clock(), self.settings.language, self.settings.zone)
                journal.finish(session, entry, InboundStatus.DONE, replies)
                notices = queued(session)
            if notices and self.on_queued is not None:
                self.on_queued(notices)  # committed: the courier may deliver them now
            return replies
        except journal.HandledElsewhere:
            return []  # rolled back: the worker that finished it first answers it
        except Exception as error:  # noqa: BLE001 (any handler failure is recorded and answered, not raised)
            if away(error):
                raise  # nothing was done: the update stays pending and is taken again when the database is back
            log.exception("handler failed", extra={"entry": entry_id})
            apology = [Reply(lang(self.settings.language)._(
                "Sorry, something went wrong and your last message was not saved. Please try again in a moment."))]
            try:
                with session_scope(self.engine) as session:
                    entry = journal.claim(session, entry_id)
                    if entry is None:
                        return []
                    journal.finish(session, entry, InboundStatus.FAILED, apology, describe_error(error))
            except journal.HandledElsewhere:
                return []
            return apology

    async def store(self, incoming: Incoming) -> int | None:
        """The update in the journal: waits while the database is away (the platform is not told the update
        arrived until it is stored); None for a redelivery, or for an update refused REFUSALS times (logged)."""
        delay, refused = 0.5, 0
        while True:
            try:
                return await self._work(journal.record, self.engine, incoming)
            except SQLAlchemyError as error:
                if not away(error):
                    refused += 1
                    if refused >= REFUSALS:
                        log.error("update refused by the database, skipped",
                                  extra={"channel": incoming.channel, "error": type(error).__name__})
                        return None
                log.warning("database away: waiting to store an update", extra={"retry_in": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, LONGEST_WAIT)

    async def store_many(self, incomings: list[Incoming]) -> list[int | None]:
        """A batch the platform delivered together, stored in one transaction (waiting while the database is
        away); if the database refuses the batch, each update is stored on its own, so one odd update never
        keeps the others out."""
        delay = 0.5
        while incomings:
            try:
                return await self._work(journal.record_many, self.engine, incomings)
            except SQLAlchemyError as error:
                if not away(error):
                    return [await self.store(incoming) for incoming in incomings]
                log.warning("database away: waiting to store updates", extra={"retry_in": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, LONGEST_WAIT)
        return []

    async def receive(self, incoming: Incoming) -> None:
        """Store and answer; messages of one chat are taken in the order they arrive."""
        async with self._lock(f"{incoming.channel}:{incoming.chat_id}"):
            entry_id = await self.store(incoming)
            if entry_id is not None:
                await self._process_and_send(entry_id, incoming.channel, incoming.chat_id)

    async def answer(self, entry_id: int, channel: str, chat_id: str) -> None:
        """Answer a stored update; callers start these in the order the updates were stored."""
        async with self._lock(f"{channel}:{chat_id}"):
            await self._process_and_send(entry_id, channel, chat_id)

    def answer_later(self, entry_id: int, channel: str, chat_id: str) -> None:
        """Answers in order with the chat's other messages (the lock is taken in the order of these calls)."""
        self._in_background(self.answer(entry_id, channel, chat_id))

    def _answered(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:  # kept in the journal: keep_recovering sends it
            log.warning("reply not sent", extra={"error": type(task.exception()).__name__})

    async def drain(self) -> None:
        """Waits for the answers still on their way (on shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def _process_and_send(self, entry_id: int, channel: str, chat_id: str) -> None:
        delay = 0.5
        while True:
            try:
                replies = await self._work(self.process, entry_id)
                break
            except SQLAlchemyError as error:
                if not away(error):
                    raise
                log.warning("database away: waiting to answer", extra={"entry": entry_id, "retry_in": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, LONGEST_WAIT)
        await self._send(entry_id, channel, chat_id, replies)

    async def recover(self, settled: timedelta | None = None) -> int:
        """What a crash left: pending updates are processed, replies kept from going out are sent. On start
        everything that no live process holds is taken; while running (`settled`) only what is older than that,
        so as not to resend what is still on its way. Returns how many were seen to."""
        before = utcnow() - settled if settled is not None else None
        # On start, what another live process stored lately is its own to answer (it may be retrying a reply
        # the platform asked it to hold back): only what a dead one left, or what nobody answered in SETTLED.
        live_since = utcnow() - SETTLED if settled is None else None
        left = await self._work(journal.unfinished, self.engine, before, live_since)
        answered = [entry_id for entry_id, status, _, _ in left if status == InboundStatus.DONE]
        stale = await self._work(journal.older_than, self.engine, answered, utcnow() - GIVE_UP)
        if stale:
            await self._work(journal.give_up, self.engine, stale)
            log.warning("replies given up", extra={"updates": len(stale)})
            left = [row for row in left if row[0] not in stale]
        done = 0
        for entry_id, status, channel, chat_id in left:
            if channel not in self.channels:
                continue  # another channel's process will see to it
            try:
                if status == InboundStatus.PENDING:
                    await self.answer(entry_id, channel, chat_id)
                else:
                    replies = await self._work(journal.stored_replies, self.engine, entry_id)
                    await self._send(entry_id, channel, chat_id, replies)
                done += 1
            except Exception as error:  # noqa: BLE001 (the platform is away: the next round tries again)
                log.warning("not recovered", extra={"entry": entry_id, "error": type(error).__name__})
        if left:
            log.info("recovered", extra={"updates": done, "left": len(left) - done})
        return done

    async def keep_recovering(self, stop: asyncio.Event, every: float = 60, settled: timedelta = SETTLED) -> None:
        """Replies that could not be sent at the time (the platform was away) go out within minutes."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), every)
            except TimeoutError:
                try:
                    await self.recover(settled)
                except Exception as error:  # noqa: BLE001 (the database is away: the next round tries again)
                    log.warning("recovery postponed", extra={"error": type(error).__name__})

    async def _send(self, entry_id: int, channel: str, chat_id: str, replies: list[Reply]) -> None:
        """Sends the replies in order. What fails for now stays in the journal, less what went out, for
        keep_recovering; what can never be delivered is dropped (a blocked member marked unreachable)."""
        send = self.channels[channel]
        for index, reply in enumerate(replies):
            try:
                await self._deliver(send, chat_id, reply)
                continue
            except PartlySent as partial:
                error, unsent = partial.cause, [partial.rest, *replies[index + 1:]]
            except Exception as failure:  # noqa: BLE001 (sorted below: dropped, or kept and raised)
                error, unsent = failure, replies[index:]
            if isinstance(error, (Unreachable, Undeliverable)):
                log.warning("reply not deliverable", extra={"entry": entry_id, "error": str(error)[:200]})
                if isinstance(error, Unreachable):
                    await self._work(mark_blocked, self.engine, channel, chat_id)
                break
            if unsent != replies:  # a part went out: only the rest is sent again
                await self._work(journal.keep_unsent, self.engine, entry_id, unsent)
            raise error
        await self._answered_now(entry_id)
        for reply in replies:
            if reply.later is not None:
                self._in_background(self._send_file(channel, chat_id, reply.later))

    async def _send_file(self, channel: str, chat_id: str, later: Deferred) -> None:
        """A promised file, made in the export process and sent; if it cannot be, the member is told."""
        try:
            made = await exports.made(self.settings.database_url, later, self.settings.timezone, self.signer)
        except exports.ExportDied:
            log.error("export process died twice", extra={"kind": later.kind})
            made = Reply(lang(later.language)._(
                "Sorry, the file could not be made: the process making it stopped, twice (it may be too large for "
                "the server's memory). Please ask again; if it happens again, tell the administrator."))
        except Exception:  # noqa: BLE001 (said to the member, logged for the admin)
            log.exception("file not made", extra={"kind": later.kind})
            made = Reply(lang(later.language)._("Sorry, the file could not be prepared. Please ask again later."))
        await self._deliver(self.channels[channel], chat_id, made)

    async def _answered_now(self, entry_id: int) -> None:
        """Marks the update answered, returning once that is committed. Updates answered while a mark is being
        written are marked together next, in one statement (group commit): none waits longer than one write."""
        done = asyncio.get_running_loop().create_future()
        self._to_mark.append((entry_id, done))
        if self._marking is None or self._marking.done():
            self._marking = asyncio.get_running_loop().create_task(self._mark())
        await done

    async def _mark(self) -> None:
        while self._to_mark:
            batch, self._to_mark = self._to_mark, []
            try:
                await self._work(journal.mark_answered, self.engine, *(entry_id for entry_id, _ in batch))
            except asyncio.CancelledError:  # the loop is closing: nobody waits for ever
                for _, done in batch + self._to_mark:
                    done.cancel()
                raise
            except Exception as error:  # noqa: BLE001 (each waiting caller gets it)
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
                continue
            for _, done in batch:
                if not done.done():
                    done.set_result(None)

    async def _work(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)

    def _in_background(self, work: Awaitable[None]) -> None:
        task = asyncio.get_running_loop().create_task(work)  # type: ignore[arg-type]
        self._background.add(task)
        task.add_done_callback(self._answered)

    @staticmethod
    async def _deliver(send: Deliver, chat_id: str, reply: Reply) -> None:
        """One reply, tried again within seconds while the platform asks to wait (429, 5xx). Once a part of it
        went out, a failure says what is left (PartlySent)."""
        began = False
        for attempt in range(REPLY_TRIES):
            try:
                await send(chat_id, reply)
                return
            except PartlySent as partial:
                began = True
                if not isinstance(partial.cause, TryLater) or attempt == REPLY_TRIES - 1:
                    raise
                reply, wait = partial.rest, partial.cause.retry_after
            except TryLater as error:
                if attempt == REPLY_TRIES - 1:
                    raise PartlySent(reply, error) if began else error
                wait = error.retry_after
            except Misconfigured as error:
                log.error("the platform refuses the bot: check its token", extra={"error": str(error)[:200]})
                raise
            await asyncio.sleep(min(wait if wait is not None else 2.0 ** attempt, LONGEST_WAIT))

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:  # kept only while a message of this chat is in flight, then forgotten
            lock = self._locks[key] = asyncio.Lock()
        return lock
