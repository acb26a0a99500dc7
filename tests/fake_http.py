"""What the fake platform servers share: a threaded HTTP server on 127.0.0.1 that starts and stops with a
`with` block, and waiting until the bot has answered a chat and gone quiet."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class _QuietServer(ThreadingHTTPServer):
    request_queue_size = 256  # the default backlog of 5 drops connections when many clients come at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid long-poll when the bot stops is not the test's concern


class JsonHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs: a new connection per call costs more than the call

    def _reply(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass

    def _send_bytes(self, content: bytes | None) -> None:
        """A file the platform serves for download (Telegram's file path, Zalo's image URL)."""
        if content is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)


class FakePlatform:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def messages_to(self, chat_id: Any) -> list[Any]:
        raise NotImplementedError

    def wait_for_replies(self, chat_id: Any, since: int, quiet: float = 0.3, timeout: float = 15) -> list[Any]:
        """The messages sent to a chat after the first `since` ones, once the bot has gone quiet."""
        deadline = time.monotonic() + timeout
        seen, last_change = since, time.monotonic()
        while time.monotonic() < deadline:
            count = len(self.messages_to(chat_id))
            if count != seen:
                seen, last_change = count, time.monotonic()
            elif count > since and time.monotonic() - last_change >= quiet:
                return self.messages_to(chat_id)[since:]
            time.sleep(0.02)
        raise AssertionError(f"the bot sent nothing to {chat_id} within {timeout}s")


class SlowToAnswer:
    """A platform's `fault` that takes `seconds` to answer `method`, and counts the calls waiting at once."""

    def __init__(self, method: str, seconds: float) -> None:
        self.method, self.seconds = method, seconds
        self.waiting = self.most = 0
        self._lock = threading.Lock()

    def __call__(self, method: str, params: dict[str, Any]) -> None:
        if method != self.method:
            return None
        with self._lock:
            self.waiting += 1
            self.most = max(self.most, self.waiting)
        time.sleep(self.seconds)
        with self._lock:
            self.waiting -= 1
        return None
