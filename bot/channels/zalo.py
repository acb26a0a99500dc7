"""Zalo through the Zalo Bot Platform's HTTP API, called with httpx.

Held against the platform's documentation (bot.zaloplatforms.com/docs, read from its public copies:
lamdt1/ckvn-bot docs/zalo-bot-doc.md, lucminhduc3108/Zalo-Bot-Beta-Attendance ZaloBotDocs/Webhook.md):
- calls: `TDC_ZALO_API_URL` + token + "/" + method, JSON POSTs (docs: "Định dạng URL", "Cách truyền tham
  số"); answers `{"ok", "result", "description", "error_code"}` (docs: "Phản hồi từ API").
- `getUpdates` (param `timeout`, seconds) answers one update shaped as a webhook's `result`; it does not work
  while a webhook is set, so polling starts with `deleteWebhook` (docs: getUpdates, deleteWebhook).
- `setWebhook` (`url`, `secret_token` of 8–256 characters); every webhook call carries the header
  `X-Bot-Api-Secret-Token` and a body `{"ok": true, "result": {"event_name", "message"}}` (docs: Webhook).
  One public client reports bare `{"event_name", "message"}` bodies too: both are read (`unwrap`).
- `event_name`: message.text.received, message.image.received, message.sticker.received,
  message.unsupported.received. `message`: `message_id`, `date` (milliseconds), `from.id`,
  `from.display_name`, `chat.id`, `chat.chat_type` (PRIVATE, or GROUP: only a chat that says PRIVATE is
  taken for one; a missing or other type gets the group answer and never becomes a delivery chat), `text`; an image's `photo` (its URL)
  and `caption` (docs: Webhook, "Message"). There is no update id: messages are journaled by `message_id`.
- `sendMessage` (`chat_id`, `text` of 1–2,000 characters). No buttons: choices go out as numbered lines.
  `sendPhoto` takes a URL, not bytes, so files (xlsx, docx, png) are described in text instead.
- errors (the documented table): 400 bad request — the bot's own fault, logged with the method, never the
  member's; 401 invalid token — said loudly, not retried; 403 ("Internal server error"), 5xx and 429 (quota)
  pass and are retried with backoff, within a bound; 408 — a long poll that ended empty. Nothing documents a
  blocked user, so no Zalo error marks a member unreachable.
Why not the documented SDK (python-zalo-bot): it is an Updater-style framework that acknowledges an update
once fetched and runs its own handlers; here every update must be in the journal first (bot/runtime/journal.py), and
the few calls above are one small client.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import httpx

from bot.channels.files import keep_file, wanted
from bot.channels.text import numbered, split_text
from bot.runtime.conversation import Conversation
from bot.runtime.webhooks import Hook
from bot.channels.ratelimit import IN_FLIGHT
from bot.runtime.delivery import Misconfigured, PartlySent, TryLater, Undeliverable
from handlers.machinery.evidence import MAX_BYTES
from handlers.machinery.messages import Incoming, InputKind, Reply
from locales import lang

CHANNEL = "zalo"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
PRIVATE = "PRIVATE"  # the documented chat_type of a one-to-one chat
MESSAGE_LIMIT = 2000  # a conservative limit: the public clients do not state one
POLL_SECONDS = 30
CAPTION_NAME = 80  # characters of an image's caption kept as the file's name
log = logging.getLogger("tdc.zalo")


class ZaloError(Exception):
    def __init__(self, status: int, description: str, method: str = "") -> None:
        super().__init__(description)
        self.status, self.method = status, method

    def meaning(self) -> Exception:
        """As bot/runtime/sender.py names it, by the documented error table."""
        text = f"{self.method}: {self.status} {self}"
        if self.status == 401:
            return Misconfigured(text)
        if self.status in (400, 404):
            return Undeliverable(text)
        return TryLater(text)  # 403 (the platform's internal error), 408, 429, 5xx, network


class ZaloClient:
    def __init__(self, api_url: str, token: str, client: httpx.AsyncClient | None = None) -> None:
        self._base = f"{api_url}{token}/"
        self._client = client or httpx.AsyncClient(timeout=POLL_SECONDS + 10)
        # At most IN_FLIGHT calls on the wire, the long poll aside, so a burst of replies does not grow the
        # connection pool, whose every connection httpcore checks on each request (bot/channels/ratelimit.py).
        self._slots = asyncio.Semaphore(IN_FLIGHT)

    async def call(self, method: str, **payload: Any) -> Any:
        if method == "getUpdates":  # held open up to POLL_SECONDS, by the one poller
            return await self._call(method, payload)
        async with self._slots:
            return await self._call(method, payload)

    async def _call(self, method: str, payload: dict[str, Any]) -> Any:
        try:
            response = await self._client.post(self._base + method, json=payload)
        except httpx.HTTPError as error:  # never the URL: it holds the token
            raise ZaloError(0, type(error).__name__, method) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        if response.status_code != 200 or not body.get("ok"):
            raise ZaloError(int(body.get("error_code") or response.status_code),
                            str(body.get("description", ""))[:200], method)
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


def unwrap(body: Any) -> dict[str, Any] | None:
    """The update in a webhook call's body: documented as `{"ok": true, "result": {…}}`, reported bare by one
    public client; None when it is neither."""
    if not isinstance(body, dict):
        return None
    inner = body.get("result") if "result" in body else body
    return inner if isinstance(inner, dict) and isinstance(inner.get("event_name"), str) else None


def to_incoming(update: dict[str, Any]) -> Incoming | None:
    message = update.get("message") if isinstance(update.get("message"), dict) else {}
    sender = message.get("from") if isinstance(message.get("from"), dict) else {}
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    if not sender.get("id") or not chat.get("id"):
        return None
    try:
        when = datetime.fromtimestamp(int(message.get("date") or 0) / 1000, timezone.utc)  # milliseconds
    except (TypeError, ValueError, OverflowError, OSError):
        when = datetime.now(timezone.utc)
    name = sender.get("display_name") or sender.get("name") or ""
    common = dict(channel=CHANNEL, chat_id=str(chat["id"]), user_id=str(sender["id"]), name=str(name),
                  update_id=str(message.get("message_id", "")), time=when,
                  private=chat.get("chat_type") == PRIVATE)
    if update.get("event_name") == "message.text.received" and isinstance(message.get("text"), str):
        return Incoming(kind=InputKind.TEXT, text=message["text"], **common)
    if update.get("event_name") == "message.image.received" and photo_url(message):
        caption = message.get("caption") if isinstance(message.get("caption"), str) else ""
        return Incoming(kind=InputKind.FILE, file_name=caption[:CAPTION_NAME], **common)  # none: "ảnh thứ 2"
    return Incoming(kind=InputKind.OTHER, **common)


def photo_url(message: dict[str, Any]) -> str:
    """Where an image message's picture is: the documented `photo` (a URL); `photo_url`, or `photo` as an
    object with `url`, as some public clients read it, are read too."""
    for value in (message.get("photo"), message.get("photo_url")):
        if isinstance(value, dict):
            value = value.get("url")
        if isinstance(value, list) and value:
            value = value[-1].get("url") if isinstance(value[-1], dict) else value[-1]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return value
    return ""


async def fetch(client: ZaloClient, engine: Any, update: dict[str, Any], incoming: Incoming) -> Incoming:
    """An image message's picture, fetched and stored as evidence before the update is journaled."""
    if not await asyncio.to_thread(wanted, engine, incoming):
        return replace(incoming, file_error="unexpected")  # nothing downloaded, nothing kept
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

    def hook(self) -> Hook:
        """Zalo's webhook: the secret in X-Bot-Api-Secret-Token (setWebhook's secret_token)."""
        return Hook("/zalo", SECRET_HEADER, self.accept)

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 1.0
        webhook_removed = False
        while not stop.is_set():
            try:
                if not webhook_removed:  # getUpdates does not work while a webhook is set (docs: getUpdates)
                    await self.client.call("deleteWebhook")
                    webhook_removed = True
                    log.info("Zalo: any webhook removed; polling getUpdates")
                result = await self.client.call("getUpdates", timeout=POLL_SECONDS)
                backoff = 1.0
            except ZaloError as error:
                if error.status == 408:  # the long poll ended with nothing new
                    continue
                if error.status == 401:
                    log.error("Zalo refuses the bot's token (401): check TDC_ZALO_TOKEN", extra={"method": error.method})
                    backoff = 60.0
                else:
                    log.warning("Zalo call failed", extra={"method": error.method, "status": error.status})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60)
                continue
            for update in result if isinstance(result, list) else [result] if result else []:
                if (found := unwrap(update)) is not None:
                    try:
                        await self.handle(found)
                    except Exception:  # noqa: BLE001 (one odd update never stops the bot)
                        log.exception("update skipped")

    async def handle(self, update: dict[str, Any]) -> None:
        """One update from polling: journaled (a redelivery is ignored) and answered before the next poll."""
        incoming = to_incoming(update)
        if incoming is None:
            return
        if incoming.kind is InputKind.FILE:
            incoming = await fetch(self.client, self.conversation.engine, update, incoming)
        try:
            await self.conversation.receive(incoming)
        except Exception as error:  # noqa: BLE001 (the answer stays in the journal: keep_recovering sends it)
            log.warning("reply not sent", extra={"error": type(error).__name__})

    async def accept(self, body: Any) -> bool:
        """One webhook call's body: its update journaled before the call is answered, then answered. False
        when the body is not an update (the call gets 400)."""
        update = unwrap(body)
        if update is None:
            return False
        incoming = to_incoming(update)
        if incoming is None:
            return True  # an event without a message: nothing to answer
        if incoming.kind is InputKind.FILE:
            incoming = await fetch(self.client, self.conversation.engine, update, incoming)
        entry_id = await self.conversation.store(incoming)
        if entry_id is not None:
            self.conversation.answer_later(entry_id, CHANNEL, incoming.chat_id)
        return True


def deliverer(client: ZaloClient, default_language: str = "vi") -> Any:
    """The sender's and the conversation's view of Zalo: its documented errors as bot/runtime/sender.py names them."""

    async def deliver(chat_id: str, reply: Reply) -> None:
        pieces = render(reply, default_language)
        for index, piece in enumerate(pieces):
            try:
                await client.call("sendMessage", chat_id=chat_id, text=piece)
            except ZaloError as error:
                if index == 0:
                    raise error.meaning() from error
                rest = Reply("\n\n".join(pieces[index:]))  # numbered already: no buttons to render again
                raise PartlySent(rest, error.meaning()) from error

    return deliver
