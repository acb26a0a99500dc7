"""A fake Zalo Bot API server on 127.0.0.1, written from the platform's documentation (bot.zaloplatforms.com,
read from its public copies: see bot/channels/zalo.py): JSON POSTs to /bot<token>/<method>, answers
`{"ok", "result"}` or `{"ok": false, "error_code", "description"}`; getUpdates gives one update at a time,
shaped as a webhook's `result` (`event_name`, `message` with `from.display_name`, `chat.chat_type`, an image's
`photo` URL and `caption`), with no update id, and 408 when a long poll ends empty; it refuses getUpdates
while a webhook is set, until deleteWebhook; sendMessage takes 1 to 2,000 characters."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from tests.fake_http import FakePlatform, JsonHandler


class FakeZalo(FakePlatform):
    def __init__(self, token: str = "zalo-test-token") -> None:
        self.token = token
        self._lock = threading.Condition()
        self._pending: list[dict[str, Any]] = []
        self._next = 1
        self.sent: list[dict[str, Any]] = []  # {"chat_id", "text"}
        self.calls: list[str] = []
        self.files: dict[str, bytes] = {}  # images users sent, served at /files/<name>
        self.webhook = ""  # as setWebhook left it
        # Called with (method, params) before a call is answered, outside the server's lock; a (status, body) it
        # returns is answered instead (tests make the platform slow or failing with it).
        self.fault: Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]] | None] | None = None
        fake = self

        class Handler(JsonHandler):

            def do_GET(self) -> None:  # noqa: N802
                self._send_bytes(fake.files.get(self.path.removeprefix("/files/")))

            def do_POST(self) -> None:  # noqa: N802
                prefix = f"/bot{fake.token}/"
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not self.path.startswith(prefix):
                    self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                    return
                method, params = self.path[len(prefix):], json.loads(body or b"{}")
                refused = fake.fault(method, params) if fake.fault else None
                self._reply(*(refused or fake._call(method, params)))

        super().__init__(Handler)

    def send_text(self, user_id: str, text: str, message_id: str | None = None) -> None:
        self._push("message.text.received", user_id, {"text": text}, message_id)

    def send_image(self, user_id: str, content: bytes, caption: str | None = None) -> None:
        """A user sends a picture: Zalo's update points to it by URL (`photo`), which the bot fetches."""
        name = f"img{len(self.files) + 1}.jpg"
        self.files[name] = content
        extra = {"caption": caption} if caption else {}
        self._push("message.image.received", user_id, {"photo": f"{self.base_url}/files/{name}", **extra}, None)

    def text_update(self, user_id: str, text: str) -> dict[str, Any]:
        """A text message's update, as getUpdates gives it and as a webhook call's `result` (docs: Webhook)."""
        return {"event_name": "message.text.received", "message": self._message(user_id, {"text": text}, None)}

    def image_update(self, user_id: str, content: bytes, caption: str | None = None) -> dict[str, Any]:
        name = f"img{len(self.files) + 1}.jpg"
        self.files[name] = content
        extra = {"caption": caption} if caption else {}
        return {"event_name": "message.image.received",
                "message": self._message(user_id, {"photo": f"{self.base_url}/files/{name}", **extra}, None)}

    def push(self, update: dict[str, Any]) -> None:
        """An update for the next getUpdates."""
        with self._lock:
            self._pending.append(update)
            self._lock.notify_all()

    def send_sticker(self, user_id: str) -> None:
        self._push("message.sticker.received", user_id, {"sticker": "abc"}, None)

    def _message(self, user_id: str, content: dict[str, Any], message_id: str | None) -> dict[str, Any]:
        message = {"message_id": message_id or f"m{self._next}", "date": int(time.time() * 1000),
                   "from": {"id": user_id, "display_name": "Phạm Thị Dung", "is_bot": False},
                   "chat": {"id": user_id, "chat_type": "PRIVATE"}, **content}
        self._next += 1
        return message

    def _push(self, event: str, user_id: str, content: dict[str, Any], message_id: str | None) -> None:
        with self._lock:
            self._pending.append({"event_name": event, "message": self._message(user_id, content, message_id)})
            self._lock.notify_all()

    def messages_to(self, chat_id: str) -> list[str]:
        with self._lock:
            return [m["text"] for m in self.sent if m["chat_id"] == chat_id]

    def _call(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.calls.append(method)
            if method == "getMe":
                return 200, {"ok": True, "result": {"id": "bot1", "name": "tdc-bot"}}
            if method == "setWebhook":
                self.webhook = str(params.get("url", ""))
                return 200, {"ok": True, "result": {"url": self.webhook, "updated_at": int(time.time() * 1000)}}
            if method == "deleteWebhook":
                self.webhook = ""
                return 200, {"ok": True, "result": {"url": "", "updated_at": int(time.time() * 1000)}}
            if method == "getUpdates":
                if self.webhook:  # "getUpdates will not work if a webhook was set before" (docs: getUpdates)
                    return 400, {"ok": False, "error_code": 400, "description": "Bad request"}
                if not self._pending:
                    self._lock.wait(min(float(params.get("timeout") or 0), 1.0))
                if not self._pending:
                    return 408, {"ok": False, "error_code": 408, "description": "Request timeout"}
                return 200, {"ok": True, "result": self._pending.pop(0)}  # one at a time
            if method == "sendMessage":
                text = params.get("text")
                if not isinstance(text, str) or not 1 <= len(text) <= 2000 or not params.get("chat_id"):
                    return 400, {"ok": False, "error_code": 400, "description": "Bad request"}
                self.sent.append({"chat_id": str(params["chat_id"]), "text": params["text"]})
                return 200, {"ok": True, "result": {"message_id": f"s{len(self.sent)}", "date": int(time.time() * 1000)}}
            return 200, {"ok": True, "result": True}
