"""Telegram through python-telegram-bot: long polling, inline buttons, one steady rate limit.

The Bot API base URL comes from TDC_TELEGRAM_API_URL, which is how the tests point the real client at a
fake server on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, \
    MessageHandler, filters
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.channels.text import split_text
from bot.conversation import Conversation
from bot.ratelimit import SteadyRateLimiter
from bot.sender import TryLater, Unreachable
from bot.settings import Settings
from handlers.messages import Incoming, InputKind, Reply

CHANNEL = "telegram"
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024


def build_application(settings: Settings, conversation: Conversation, polling: bool = True) -> Application:
    """With `polling` off, updates arrive through bot/webhooks.py into the application's queue."""
    assert settings.telegram_token is not None
    builder = ApplicationBuilder() if polling else ApplicationBuilder().updater(None)
    application = (
        builder
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.telegram_api_url)
        .base_file_url(settings.telegram_api_url.replace("/bot", "/file/bot"))
        .rate_limiter(SteadyRateLimiter(settings.rate_limit))
        .concurrent_updates(True)  # Conversation serialises each chat; chats run side by side
        .build()
    )
    adapter = TelegramAdapter(conversation)
    application.add_handler(CallbackQueryHandler(adapter.on_update))
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, adapter.on_update))
    return application


class TelegramAdapter:
    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        incoming = to_incoming(update)
        if incoming is None:
            return
        if update.callback_query is not None:
            await update.callback_query.answer()
        for reply in await self.conversation.handle(incoming):
            await send(context.bot, incoming.chat_id, reply)


def to_incoming(update: Update) -> Incoming | None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return None
    common = dict(channel=CHANNEL, chat_id=str(chat.id), user_id=str(user.id), name=user.full_name,
                  update_id=str(update.update_id))
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
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(c.label, callback_data=c.id)] for c in reply.choices]) \
        if reply.choices else None
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        # An int, as Telegram's ids are: PTB's rate limiter takes a string chat id for a group's @username.
        await bot.send_message(chat_id=int(chat_id), text=chunk, reply_markup=markup if last else None)


def deliverer(bot: Bot) -> Callable[[str, str], Awaitable[None]]:
    """The sender's view of Telegram: platform errors become "unreachable" or "try later"."""

    async def deliver(chat_id: str, text: str) -> None:
        try:
            await send(bot, chat_id, Reply(text))
        except Forbidden as error:
            raise Unreachable(str(error)) from error
        except BadRequest as error:  # chat not found, deactivated user …
            raise Unreachable(str(error)) from error
        except RetryAfter as error:
            raise TryLater(str(error), _seconds(error.retry_after)) from error
        except NetworkError as error:  # 5xx, timeouts, connection errors
            raise TryLater(str(error)) from error

    return deliver


def _seconds(value: object) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)  # type: ignore[arg-type]
