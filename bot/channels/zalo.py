"""Zalo through the Zalo Bot Platform's HTTP API, called with httpx.

What the API is, as confirmed from its public clients (the search library, 2026-11; the official docs at
bot.zaloplatforms.com could not be reached from here): the base is `TDC_ZALO_API_URL` + token + "/" + method
(`https://bot-api.zaloplatforms.com/bot<token>/getMe`, the n8n node's cURL examples); requests are JSON
POSTs; answers are `{"ok", "result", "error_code", "description"}` (the claw gateway's `ZaloApiResponse`).
`getUpdates` takes `timeout` and gives an update with `event_name` ("message.text.received",
"message.image.received", "message.sticker.received", "message.unsupported.received") and `message`
(`message_id`, `from.id`, `from.name`, `chat.id`, `chat.chat_type`, `date`, `text`) — no update id, so
messages are journaled and deduplicated by `message_id`. We accept a list of updates as well as a single one.
Messages are plain text without buttons: choices go out as numbered lines. `sendPhoto` takes a photo URL, not bytes, so
files (xlsx, docx, png) are described in text instead of sent. Of what users send, only images arrive as files
("message.image.received", the picture at a URL the bot fetches); documents (PDF, Word, Excel) do not come
through this API, so evidence in those forms is sent on Telegram. Webhook calls arrive through bot/webhooks.py.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import httpx

from bot.channels.files import keep_file
from bot.channels.text import numbered, split_text
from bot.conversation import Conversation
from bot.sender import TryLater, Unreachable
from handlers.evidence import MAX_BYTES
from handlers.messages import Incoming, InputKind, Reply
from locales import lang

CHANNEL = "zalo"
MESSAGE_LIMIT = 2000  # a conservative limit: the public clients do not state one
POLL_SECONDS = 30
log = logging.getLogger("tdc.zalo")


class ZaloError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status


class ZaloClient:
    def __init__(self, api_url: str, token: str, client: httpx.AsyncClient | None = None) -> None:
        self._base = f"{api_url}{token}/"
        self._client = client or httpx.AsyncClient(timeout=POLL_SECONDS + 10)

    async def call(self, method: str, **payload: Any) -> Any:
        try:
            response = await self._client.post(self._base + method, json=payload)
        except httpx.HTTPError as error:  # never the URL: it holds the token
            raise ZaloError(0, type(error).__name__) from None
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if response.status_code != 200 or not body.get("ok"):
            raise ZaloError(int(body.get("error_code") or response.status_code), str(body.get("description", "")))
        return body.get("result")

    async def download(self, url: str, limit: int) -> bytes | None:
        """A file the platform points to (an image's URL); None when it is larger than `limit` bytes."""
        async with self._client.stream("GET", url) as response:
            response.raise_for_status()
            content = bytearray()
            async for chunk in response.aiter_bytes():
                content += chunk
                if len(content) > limit:
                    return None
        return bytes(content)

    async def close(self) -> None:
        await self._client.aclose()


def to_incoming(update: dict[str, Any]) -> Incoming | None:
    message = update.get("message") or {}
    sender, chat = message.get("from") or {}, message.get("chat") or {}
    if not sender.get("id") or not chat.get("id"):
        return None
    when = datetime.fromtimestamp(int(message.get("date") or 0) / 1000, timezone.utc)  # milliseconds
    common = dict(channel=CHANNEL, chat_id=str(chat["id"]), user_id=str(sender["id"]), name=sender.get("name", ""),
                  update_id=str(message.get("message_id", "")), time=when)
    if update.get("event_name") == "message.text.received" and isinstance(message.get("text"), str):
        return Incoming(kind=InputKind.TEXT, text=message["text"], **common)
    if update.get("event_name") == "message.image.received" and photo_url(message):
        return Incoming(kind=InputKind.FILE, file_name=f"anh-{common['update_id']}.jpg", **common)
    return Incoming(kind=InputKind.OTHER, **common)


def photo_url(message: dict[str, Any]) -> str:
    """Where an image message's picture is: public clients read `photo_url`, or `photo` as a URL or as an
    object with `url`; which one the platform sends could not be confirmed from here, so all are read."""
    for value in (message.get("photo_url"), message.get("photo")):
        if isinstance(value, dict):
            value = value.get("url")
        if isinstance(value, list) and value:
            value = value[-1].get("url") if isinstance(value[-1], dict) else value[-1]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return value
    return ""


async def fetch(client: ZaloClient, engine: Any, update: dict[str, Any], incoming: Incoming) -> Incoming:
    """An image message's picture, fetched and stored as evidence before the update is journaled."""
    try:
        content = await client.download(photo_url(update.get("message") or {}), MAX_BYTES)
    except httpx.HTTPError:
        return replace(incoming, file_error="unreadable")
    if content is None:
        return replace(incoming, file_error="too_big")
    return await asyncio.to_thread(keep_file, engine, incoming, content)


def render(reply: Reply, default_language: str) -> list[str]:
    text = numbered(reply)
    if reply.attachment is not None:
        text += "\n\n" + lang(default_language)._(
            "The file {name} cannot be sent on Zalo. Ask for it on Telegram, or get it from the command line "
            "(python -m bot report).", name=reply.attachment.filename)
    return split_text(text, MESSAGE_LIMIT)


class ZaloPoller:
    """Long-polls getUpdates and answers each message through the same conversation core as Telegram."""

    def __init__(self, client: ZaloClient, conversation: Conversation) -> None:
        self.client, self.conversation = client, conversation
        conversation.connect(CHANNEL, self.send)

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 1.0
        while not stop.is_set():
            try:
                result = await self.client.call("getUpdates", timeout=POLL_SECONDS)
                backoff = 1.0
            except ZaloError as error:
                if error.status == 408:  # the long poll ended with nothing new
                    continue
                log.warning("getUpdates failed", extra={"status": error.status})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60)
                continue
            for update in result if isinstance(result, list) else [result] if result else []:
                await self.handle(update)

    async def handle(self, update: dict[str, Any]) -> None:
        """One update from polling: journaled (a redelivery is ignored) and answered before the next poll."""
        incoming = to_incoming(update)
        if incoming is None:
            return
        if incoming.kind is InputKind.FILE:
            incoming = await fetch(self.client, self.conversation.engine, update, incoming)
        try:
            await self.conversation.receive(incoming)
        except ZaloError as error:  # the answer stays in the journal: keep_recovering sends it
            log.warning("reply not sent", extra={"status": error.status})

    async def accept(self, update: dict[str, Any]) -> None:
        """One update from a webhook call: journaled before the call is answered, then answered."""
        incoming = to_incoming(update)
        if incoming is None:
            return
        if incoming.kind is InputKind.FILE:
            incoming = await fetch(self.client, self.conversation.engine, update, incoming)
        entry_id = await self.conversation.store(incoming)
        if entry_id is not None:
            self.conversation.answer_later(entry_id, CHANNEL, incoming.chat_id)

    async def send(self, chat_id: str, reply: Reply) -> None:
        for piece in render(reply, self.conversation.settings.language):
            await self.client.call("sendMessage", chat_id=chat_id, text=piece)


def deliverer(client: ZaloClient, default_language: str = "vi") -> Any:
    """The sender's view of Zalo, as for Telegram: a blocked or unknown chat is unreachable, the rest waits."""

    async def deliver(chat_id: str, reply: Reply) -> None:
        try:
            for piece in render(reply, default_language):
                await client.call("sendMessage", chat_id=chat_id, text=piece)
        except ZaloError as error:
            if error.status in (400, 403, 404):
                raise Unreachable(str(error)) from error
            raise TryLater(str(error)) from error

    return deliver
