"""The bridge every channel crosses: one Incoming in, replies out, in its own database transaction.

Runs the pure, blocking dispatcher in a worker thread so the event loop keeps serving other chats, and
serialises messages of one chat so a quick double answer cannot race itself through a form.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Engine

from bot.settings import Settings
from handlers.dispatcher import dispatch
from handlers.messages import Incoming, Reply
from locales import lang
from models import session_scope

log = logging.getLogger("tdc.conversation")


class Conversation:
    def __init__(self, engine: Engine, settings: Settings, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock or settings.now  # the province's local time; tests pass a fixed one
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def handle_sync(self, incoming: Incoming) -> list[Reply]:
        try:
            with session_scope(self.engine) as session:
                return dispatch(session, incoming, self.clock(), self.settings.language, self.settings.zone)
        except Exception:
            log.exception("handler failed", extra={"channel": incoming.channel, "update": incoming.update_id})
            return [Reply(lang(self.settings.language)._(
                "Sorry, something went wrong and your last message was not saved. Please try again in a moment."))]

    async def handle(self, incoming: Incoming) -> list[Reply]:
        key = f"{incoming.channel}:{incoming.chat_id}"
        lock = self._locks.get(key)
        if lock is None:  # kept only while a message of this chat is in flight, then forgotten
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            return await asyncio.to_thread(self.handle_sync, incoming)
