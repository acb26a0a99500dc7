"""A fake Telegram Bot API server on 127.0.0.1, for the real python-telegram-bot client to talk HTTP to.

It keeps the updates that "users" send (text, photos, button presses) for getUpdates, records every
method the bot calls, and answers like the real API for the methods the bot uses.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import unquote
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs

from tests.fake_http import FakePlatform, JsonHandler

BOT_USER = {"id": 999000, "is_bot": True, "first_name": "tdc-bot", "username": "tdc_test_bot"}


class FakeTelegram(FakePlatform):
    def __init__(self, token: str = "123456:TEST-TOKEN") -> None:
        self.token = token
        self._lock = threading.Condition()
        self._pending: list[dict[str, Any]] = []
        self._next_update = 1
        self._next_message = 1
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[dict[str, Any]] = []  # messages the bot sent, as the API returned them
        self.sent_at: list[float] = []
        self.counts: Counter[int] = Counter()  # messages sent per chat: cheap to read in a busy loop
        self.documents: list[dict[str, Any]] = []  # files the bot sent: chat_id, file_name, content
        self.files: dict[str, bytes] = {}  # files users sent, by file_id, served for download
        # A test may refuse a call: given (method, params), return (HTTP status, body) to answer with instead.
        self.fault: Callable[[str, dict[str, Any]], tuple[int, dict[str, Any]] | None] | None = None
        super().__init__(self._handler())

    # -- what users do ------------------------------------------------------------------------------------

    def user(self, user_id: int, name: str = "Nguyễn Văn An") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "vi"}

    def send_text(self, user_id: int, text: str) -> None:
        self._push({"message": self._message(user_id, text=text)})

    def send_group_text(self, group_id: int, user_id: int, text: str) -> None:
        """A user writes in a group the bot is a member of (a group's id is negative)."""
        message = {**self._message(user_id, text=text), "chat": {"id": group_id, "type": "group", "title": "Tổ TĐC"}}
        self._push({"message": message})

    def send_photo(self, user_id: int) -> None:
        photo = [{"file_id": "AgAD", "file_unique_id": "u1", "width": 90, "height": 90}]
        self._push({"message": self._message(user_id, photo=photo)})

    def send_document(self, user_id: int, content: bytes, file_name: str, size: int | None = None) -> None:
        """A user sends a file; `size` is what Telegram reports (a file too large is never downloaded)."""
        file_id = f"BQAD{len(self.files) + 1}"
        self.files[file_id] = content
        document = {"file_id": file_id, "file_unique_id": f"f{file_id}", "file_name": file_name,
                    "file_size": len(content) if size is None else size}
        self._push({"message": self._message(user_id, document=document)})

    def send_picture(self, user_id: int, content: bytes, caption: str | None = None) -> None:
        """A user sends a photo (Telegram gives several sizes; the bot takes the largest), perhaps captioned."""
        file_id = f"AgAD{len(self.files) + 1}"
        self.files[file_id] = content
        photo = [{"file_id": f"{file_id}s", "file_unique_id": "small", "width": 90, "height": 90, "file_size": 10},
                 {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 800, "height": 600,
                  "file_size": len(content)}]
        extra = {"caption": caption} if caption else {}
        self._push({"message": self._message(user_id, photo=photo, **extra)})

    def send_sticker(self, user_id: int) -> None:
        sticker = {"file_id": "CAAD", "file_unique_id": "s1", "width": 512, "height": 512, "is_animated": False,
                   "is_video": False, "type": "regular"}
        self._push({"message": self._message(user_id, sticker=sticker)})

    def press(self, user_id: int, label: str) -> None:
        """Press the button labelled `label` on the newest message to this user that has it."""
        for message in reversed(self.messages_to(user_id)):
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == label:
                        self.press_data(user_id, button["callback_data"], message)
                        return
        raise AssertionError(f"no button {label!r} was shown to {user_id}")

    def press_data(self, user_id: int, data: str, message: dict[str, Any] | None = None) -> None:
        """A callback with any data at all, as a forged or replayed button press would send."""
        message = message or self.messages_to(user_id)[-1]
        self._push({"callback_query": {"id": f"cq{self._next_update}", "from": self.user(user_id),
                                       "chat_instance": "ci", "message": message, "data": data}})

    # -- what the test reads -----------------------------------------------------------------------------

    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.sent if m["chat"]["id"] == chat_id]

    def buttons(self, message: dict[str, Any]) -> list[str]:
        return [b["text"] for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    # -- the server side ---------------------------------------------------------------------------------

    def _message(self, user_id: int, **content: Any) -> dict[str, Any]:
        with self._lock:
            message_id = self._next_message
            self._next_message += 1
        return {"message_id": message_id, "date": int(time.time()), "from": self.user(user_id),
                "chat": {"id": user_id, "type": "private", "first_name": "An"}, **content}

    def _push(self, update: dict[str, Any]) -> None:
        with self._lock:
            self._pending.append({"update_id": self._next_update, **update})
            self._next_update += 1
            self._lock.notify_all()

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 2.0)
        with self._lock:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
            if not self._pending and timeout:
                self._lock.wait(timeout)
            return list(self._pending[: int(params.get("limit") or 100)])

    def _call(self, method: str, params: dict[str, Any]) -> Any:
        with self._lock:
            self.calls.append((method, params))
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            return self._get_updates(params)
        if method == "sendMessage":
            with self._lock:
                message = {"message_id": self._next_message, "date": int(time.time()), "from": BOT_USER,
                           "chat": {"id": int(params["chat_id"]), "type": "private"}, "text": params["text"]}
                self._next_message += 1
                if params.get("reply_markup"):
                    message["reply_markup"] = params["reply_markup"]
                self.sent.append(message)
                self.counts[message["chat"]["id"]] += 1
                self.sent_at.append(time.monotonic())
                return message
        if method in ("sendDocument", "sendPhoto"):
            with self._lock:
                document = params["document" if method == "sendDocument" else "photo"]
                message = {"message_id": self._next_message, "date": int(time.time()), "from": BOT_USER,
                           "chat": {"id": int(params["chat_id"]), "type": "private"},
                           "document": {"file_id": f"doc{self._next_message}", "file_unique_id": "d",
                                        "file_name": document["file_name"]},
                           "caption": params.get("caption", ""), "text": params.get("caption", "")}
                self._next_message += 1
                self.sent.append(message)
                self.counts[message["chat"]["id"]] += 1
                self.sent_at.append(time.monotonic())
                self.documents.append({"chat_id": int(params["chat_id"]), **document})
                return {k: v for k, v in message.items() if k != "text"}
        if method == "getFile":
            file_id = str(params["file_id"])
            return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(self.files.get(file_id, b"")),
                    "file_path": f"documents/{file_id}"}
        return True  # deleteWebhook, answerCallbackQuery, setMyCommands …

    def _handler(self) -> type[JsonHandler]:
        fake = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
                downloads, path = f"/file/bot{fake.token}/documents/", unquote(self.path)  # PTB quotes the ":"
                if path.startswith(downloads):
                    self._send_bytes(fake.files.get(path[len(downloads):]))
                    return
                prefix = f"/bot{fake.token}/"
                if not self.path.startswith(prefix):
                    self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                params = _decode(body, self.headers.get("Content-Type", ""))
                method = self.path[len(prefix):]
                refusal = fake.fault(method, params) if fake.fault else None
                if refusal is not None:
                    self._reply(*refusal)
                    return
                self._reply(200, {"ok": True, "result": fake._call(method, params)})

            do_GET = do_POST

        return Handler


def _decode(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if content_type.startswith("multipart/form-data"):
        return _multipart(raw, content_type)
    body = raw.decode()
    if content_type.startswith("application/json"):
        return json.loads(body)
    params: dict[str, Any] = {}
    for key, values in parse_qs(body, keep_blank_values=True).items():
        try:
            params[key] = json.loads(values[0]) if key != "text" else values[0]
        except ValueError:
            params[key] = values[0]
    return params


def _multipart(raw: bytes, content_type: str) -> dict[str, Any]:
    """Form fields as strings; files as {"file_name", "content"} (sendDocument)."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        params[name] = {"file_name": filename, "content": content} if filename else content.decode()
    for key, value in params.items():  # a file field is referred to as attach://<name>
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.get(value[len("attach://"):], value)
    return params


def refusal(code: int, description: str, retry_after: int | None = None) -> tuple[int, dict[str, Any]]:
    """An error answer as the Bot API gives it (429 carries parameters.retry_after)."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return code, body
