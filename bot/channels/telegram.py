"""Telegram through python-telegram-bot: long polling or a webhook, inline buttons, one steady rate limit.

Polling is our own short loop over PTB's `get_updates` rather than PTB's Updater, because an update must be
in the inbound journal before Telegram is told it arrived: the next `get_updates` call, whose offset
acknowledges the batch before it, is made only once the whole batch is stored.

The Bot API base URL comes from TDC_TELEGRAM_API_URL, which is how the tests point the real client at a
fake server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta, timezone
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.ext import Application, ApplicationBuilder
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError

from bot.channels.files import keep_file, wanted
from bot.channels.text import split_text
from bot.runtime.conversation import Conversation
from bot.runtime.webhooks import Hook
from bot.channels.ratelimit import SteadyRateLimiter
from bot.runtime.delivery import Misconfigured, PartlySent, TryLater, Undeliverable, Unreachable
from bot.settings import Settings
from handlers.machinery.evidence import MAX_BYTES
from handlers.machinery.messages import Incoming, InputKind, Reply

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CAPTION_NAME = 80  # characters of a photo's caption kept as the file's name
POLL_SECONDS = 30
ALLOWED_UPDATES = ["message", "callback_query"]
log = logging.getLogger("tdc.telegram")


def build_application(settings: Settings) -> Application:
    """PTB's application for its Bot client (HTTP, rate limiter); updates come through TelegramInbox."""
    assert settings.telegram_token is not None
    return (
        ApplicationBuilder()
        .updater(None)
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_api_url.replace("/bot", "/file/bot"))
        .rate_limiter(SteadyRateLimiter(settings.rate_limit))
        .build()
    )


class TelegramInbox:
    """Takes updates from long polling or from the webhook into the journal, then answers them."""

    def __init__(self, bot: Bot, conversation: Conversation) -> None:
        self.bot, self.conversation = bot, conversation

    def hook(self) -> Hook:
        """Telegram's webhook: the secret in X-Telegram-Bot-Api-Secret-Token (setWebhook's secret_token)."""
        return Hook("/telegram", SECRET_HEADER, self.accept_body)

    async def accept_body(self, data: dict[str, Any]) -> bool:
        """One webhook call's body: stored before the 200 goes back; False when it is not an update."""
        if not isinstance(data.get("update_id"), int):
            return False
        try:
            update = Update.de_json(data, self.bot)
        except (TypeError, ValueError, KeyError, AttributeError):
            return False
        await self.accept([update])
        return True

    async def poll(self, stop: asyncio.Event) -> None:
        offset: int | None = None
        backoff = 1.0
        webhook_removed = False
        while not stop.is_set():
            try:
                if not webhook_removed:  # Telegram refuses getUpdates (409) while a webhook is set
                    webhook_removed = await self.bot.delete_webhook()
                updates = await _unless_stopped(stop, self.bot.get_updates(
                    offset=offset, timeout=POLL_SECONDS, allowed_updates=ALLOWED_UPDATES))
                if updates is None:
                    return  # stopped while waiting: nothing was acknowledged, nothing is lost
                backoff = 1.0
            except RetryAfter as error:
                await asyncio.sleep(_seconds(error.retry_after))
                continue
            except TelegramError as error:
                log.warning("getUpdates failed", extra={"error": type(error).__name__})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60)
                continue
            if updates:
                await self.accept(updates)  # waits while the database is away (Conversation.store_many)
                offset = updates[-1].update_id + 1  # acknowledged by the next call, once the batch is stored

    async def accept(self, updates: list[Update]) -> None:
        """Stores the updates together (a redelivery is ignored), then answers each in the background, in order."""
        taken: list[tuple[Update, Incoming]] = []
        for update in updates:
            try:
                incoming = to_incoming(update)
                if incoming is not None and incoming.kind is InputKind.FILE and update.message is not None:
                    incoming = await self._fetch(update.message, incoming)
            except Exception:  # noqa: BLE001 (one odd update never stops the bot; the others go on)
                log.exception("update skipped", extra={"update": update.update_id})
                continue
            if incoming is not None:
                taken.append((update, incoming))
        entry_ids = await self.conversation.store_many([incoming for _, incoming in taken])
        for (update, incoming), entry_id in zip(taken, entry_ids):
            if update.callback_query is not None:
                try:
                    await update.callback_query.answer()
                except TelegramError:
                    pass  # only the button's spinner: the answer itself still goes out
            if entry_id is not None:
                self.conversation.answer_later(entry_id, CHANNEL, incoming.chat_id)

    async def _fetch(self, message: Message, incoming: Incoming) -> Incoming:
        """Downloads a photo or document and stores it as evidence (or says why not), before it is journaled,
        so the journal holds only the file's number: the content is in the database once."""
        attachment = message.document or (message.photo[-1] if message.photo else None)
        if attachment is None:
            return replace(incoming, file_error="unreadable")
        if not await asyncio.to_thread(wanted, self.conversation.engine, incoming):
            return replace(incoming, file_error="unexpected")  # nothing downloaded, nothing kept
        if (attachment.file_size or 0) > MAX_BYTES:
            return replace(incoming, file_error="too_big")  # not even downloaded
        try:
            content = bytes(await (await self.bot.get_file(attachment.file_id)).download_as_bytearray())
        except TelegramError:
            return replace(incoming, file_error="unreadable")
        return await asyncio.to_thread(keep_file, self.conversation.engine, incoming, content)


async def _unless_stopped(stop: asyncio.Event, call: Coroutine[Any, Any, Any]) -> Any:
    """The call's result, or None if `stop` is set first (the call is then cancelled)."""
    call_task, stop_task = asyncio.ensure_future(call), asyncio.ensure_future(stop.wait())
    done, _ = await asyncio.wait({call_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    for task in (call_task, stop_task):
        if task not in done:
            task.cancel()
    return call_task.result() if call_task in done else None


def to_incoming(update: Update) -> Incoming | None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    common = dict(channel=CHANNEL, chat_id=str(chat.id), user_id=str(user.id), name=user.full_name,
                  update_id=str(update.update_id), private=chat.type == chat.PRIVATE)
    if update.callback_query is not None:
        return Incoming(kind=InputKind.CHOICE, choice=update.callback_query.data or "",
                        time=update.callback_query.message.date if update.callback_query.message
                        else datetime.now(timezone.utc),
                        **common)
    message = update.message
    if message is None:
        return None
    if message.text is not None:
        return Incoming(kind=InputKind.TEXT, text=message.text, time=message.date, **common)
    if message.document is not None or message.photo:
        # A photo has no name: the caption the person wrote names it, else none (the form says "ảnh thứ 2").
        name = message.document.file_name if message.document else (message.caption or "")[:CAPTION_NAME]
        return Incoming(kind=InputKind.FILE, file_name=name or "", time=message.date, **common)
    return Incoming(kind=InputKind.OTHER, time=message.date, **common)


async def send(bot: Bot, chat_id: str, reply: Reply) -> None:
    if reply.attachment is not None:
        upload = InputFile(reply.attachment.content, filename=reply.attachment.filename)
        if reply.attachment.mime_type.startswith("image/"):
            await bot.send_photo(chat_id=int(chat_id), photo=upload, caption=reply.text[:CAPTION_LIMIT])
        else:
            await bot.send_document(chat_id=int(chat_id), document=upload, caption=reply.text[:CAPTION_LIMIT])
        return
    chunks = split_text(reply.text, MESSAGE_LIMIT)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(c.label, callback_data=c.id)] for c in reply.buttons]) \
        if reply.buttons else None
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        try:
            # An int, as Telegram's ids are: PTB's rate limiter takes a string chat id for a group's @username.
            await bot.send_message(chat_id=int(chat_id), text=chunk, reply_markup=markup if last else None)
        except TelegramError as error:
            if index == 0:
                raise
            raise PartlySent(replace(reply, text="\n\n".join(chunks[index:])), error) from error


def deliverer(bot: Bot) -> Callable[[str, Reply], Awaitable[None]]:
    """The sender's and the conversation's view of Telegram: its errors as bot/runtime/sender.py names them."""

    async def deliver(chat_id: str, reply: Reply) -> None:
        try:
            await send(bot, chat_id, reply)
        except PartlySent as partial:
            raise PartlySent(partial.rest, _meaning(partial.cause)) from partial.cause
        except TelegramError as error:
            raise _meaning(error) from error

    return deliver


_GONE = ("chat not found", "user is deactivated", "bot was kicked", "peer_id_invalid")


def _meaning(error: Exception) -> Exception:
    """Telegram's errors, as the Bot API documents them: 403 Forbidden (blocked by the user) and a chat that
    no longer exists make the member unreachable; another 400 is a message of ours refused; 401/404 an
    invalid token; 429 and 5xx, timeouts and network errors pass."""
    if isinstance(error, Forbidden) or (isinstance(error, BadRequest) and any(
            words in str(error).lower() for words in _GONE)):
        return Unreachable(str(error))
    if isinstance(error, BadRequest):
        return Undeliverable(str(error))
    if isinstance(error, InvalidToken):
        return Misconfigured(str(error))
    if isinstance(error, RetryAfter):
        return TryLater(str(error), _seconds(error.retry_after))
    return TryLater(str(error))  # NetworkError: 5xx, timeouts, connection errors


def _seconds(value: object) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)  # type: ignore[arg-type]
