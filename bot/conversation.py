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
"""

from __future__ import annotations

import asyncio
import logging
import traceback
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from bot import journal
from bot.settings import Settings
from handlers.dispatcher import dispatch
from handlers.messages import Incoming, Reply
from locales import lang
from models import session_scope
from models.db import utcnow
from models.inbound import InboundStatus

log = logging.getLogger("tdc.conversation")
Send = Callable[[str, Reply], Awaitable[None]]  # (chat id, reply): how a channel delivers one reply
SETTLED = timedelta(minutes=2)  # an update older than this that is not answered is not on its way any more


class Conversation:
    def __init__(self, engine: Engine, settings: Settings, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock or settings.now  # the province's local time; tests pass a fixed one
        self.channels: dict[str, Send] = {}
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._background: set[asyncio.Task[None]] = set()

    def connect(self, channel: str, send: Send) -> None:
        self.channels[channel] = send

    def handle_sync(self, incoming: Incoming) -> list[Reply]:
        """Journal and process in the calling thread; the caller shows the replies (console, tests)."""
        entry_id = journal.record(self.engine, incoming)
        if entry_id is None:
            return []
        replies = self.process(entry_id)
        journal.mark_answered(self.engine, entry_id)
        return replies

    def process(self, entry_id: int) -> list[Reply]:
        """Runs the update through the dispatcher once: its effects, its replies and "done" commit together."""
        try:
            with session_scope(self.engine) as session:
                entry = journal.claim(session, entry_id)
                if entry is None:  # processed already, by another worker or before a crash
                    return []
                incoming = journal.incoming_of(entry)
                replies = dispatch(session, incoming, self.clock(), self.settings.language, self.settings.zone)
                journal.finish(entry, InboundStatus.DONE, replies)
                return replies
        except Exception as error:  # noqa: BLE001 (any handler failure is recorded and answered, not raised)
            log.exception("handler failed", extra={"entry": entry_id})
            apology = [Reply(lang(self.settings.language)._(
                "Sorry, something went wrong and your last message was not saved. Please try again in a moment."))]
            with session_scope(self.engine) as session:
                entry = journal.claim(session, entry_id)
                if entry is not None:
                    detail = "".join(traceback.format_exception_only(type(error), error)).strip()
                    journal.finish(entry, InboundStatus.FAILED, apology, detail)
            return apology

    async def store(self, incoming: Incoming) -> int | None:
        return await asyncio.to_thread(journal.record, self.engine, incoming)

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
        task = asyncio.get_running_loop().create_task(self.answer(entry_id, channel, chat_id))
        self._background.add(task)
        task.add_done_callback(self._answered)

    def _answered(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:  # kept in the journal: keep_recovering sends it
            log.warning("reply not sent", extra={"error": type(task.exception()).__name__})

    async def drain(self) -> None:
        """Waits for the answers still on their way (on shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def _process_and_send(self, entry_id: int, channel: str, chat_id: str) -> None:
        replies = await asyncio.to_thread(self.process, entry_id)
        await self._send(entry_id, channel, chat_id, replies)

    async def recover(self, settled: timedelta | None = None) -> int:
        """What a crash left: pending updates are processed, replies kept from going out are sent. On start
        everything is taken; while running (`settled`) only what is older than that, so as not to resend
        what is still on its way. Returns how many were seen to."""
        before = utcnow() - settled if settled is not None else None
        left = await asyncio.to_thread(journal.unfinished, self.engine, before)
        done = 0
        for entry_id, status, channel, chat_id in left:
            if channel not in self.channels:
                continue  # another channel's process will see to it
            try:
                if status == InboundStatus.PENDING:
                    await self.answer(entry_id, channel, chat_id)
                else:
                    replies = await asyncio.to_thread(journal.stored_replies, self.engine, entry_id)
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
                await self.recover(settled)

    async def _send(self, entry_id: int, channel: str, chat_id: str, replies: list[Reply]) -> None:
        send = self.channels[channel]
        for reply in replies:
            await send(chat_id, reply)
        await asyncio.to_thread(journal.mark_answered, self.engine, entry_id)

    def _lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:  # kept only while a message of this chat is in flight, then forgotten
            lock = self._locks[key] = asyncio.Lock()
        return lock
