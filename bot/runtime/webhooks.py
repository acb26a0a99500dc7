"""Webhook mode: one small HTTP server (tornado, which python-telegram-bot's webhook extra brings) for both
platforms and a health check.

    POST /telegram   Telegram updates; X-Telegram-Bot-Api-Secret-Token must equal TDC_WEBHOOK_SECRET
    POST /zalo       Zalo updates; X-Bot-Api-Secret-Token must equal TDC_WEBHOOK_SECRET
    GET  /healthz    200 when this process can take updates (its database answers, it is not stopping), 503
                     otherwise; where the
                     scheduler runs ("here", "elsewhere", "nowhere": bot/runtime/leader.py) is said in the body, apart,
                     so that a load balancer does not drop every process while a new leader is chosen

A call without the right secret gets 401 and is not processed; the secret is checked on the headers, before
a byte of the body is read. Any other method, or path, is refused on its headers too (405, 404), its body never
read. A body is at most MAX_BODY (an update is a few kB); one that is not an update gets
400. Slow or idle connections are closed after a few seconds and at most MAX_CONNECTIONS are served at once,
so half-sent requests cannot exhaust the process. Run it behind a reverse proxy that terminates HTTPS (docs/operations.md:
"Running it"). The webhooks are registered at TDC_TELEGRAM_WEBHOOK_URL + "/telegram" and + "/zalo".
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from tornado.httpserver import HTTPServer
from tornado.iostream import IOStream
from tornado.web import Application as Web
from tornado.web import RequestHandler, stream_request_body

from bot.runtime.leader import SchedulerLeader

log = logging.getLogger("tdc.webhooks")


MAX_BODY = 1024 * 1024
MAX_CONNECTIONS = 500
IDLE_SECONDS = 20.0  # a connection that sends nothing, or its headers too slowly, is closed
BODY_SECONDS = 20.0


@dataclass(frozen=True)
class Hook:
    """One platform's webhook, as its channel declares it: the path it posts to, the header that carries the
    secret, and what takes a body (True once the update is stored; False when the body is not an update)."""

    path: str
    header: str
    accept: Callable[[dict[str, Any]], Awaitable[bool]]


@stream_request_body
class _Guarded(RequestHandler):
    """Decides on the headers alone: what it does not serve is refused before a byte of its body is read."""

    method = "GET"

    def prepare(self) -> None:
        if self.request.method != self.method:
            self._refuse(405)

    def data_received(self, chunk: bytes) -> None:
        """A body this handler has no use for (a GET's) is dropped as it comes."""

    def _refuse(self, status: int, hang_up: bool = True) -> None:
        self.set_status(status)
        self.finish({"ok": False})
        if hang_up:  # the rest of the body is not read: the connection cannot carry another request
            self.request.connection.stream.close()  # type: ignore[union-attr]


class _NotFound(_Guarded):
    def prepare(self) -> None:
        self._refuse(404)


class _Secured(_Guarded):
    method = "POST"

    def initialize(self, secret: str, hook: Hook, stopping: asyncio.Event) -> None:
        self.secret, self.header, self.accept, self.stopping = secret, hook.header, hook.accept, stopping
        self._body = bytearray()

    def prepare(self) -> None:
        """The headers are in, the body not yet: refuse a wrong secret or a body too large before reading it,
        and any update while this process stops (503, nothing stored: the platform retries, another process
        takes it)."""
        super().prepare()
        if self._finished:
            return
        if self.stopping.is_set():
            self._refuse(503)
            return
        given = self.request.headers.get(self.header, "")
        if not self.secret or not hmac.compare_digest(given.encode(), self.secret.encode()):
            self._refuse(401)
            return
        length = self.request.headers.get("Content-Length", "")
        if length.isdecimal() and int(length) > MAX_BODY:
            self._refuse(413)
            return
        self.request.connection.set_max_body_size(MAX_BODY)  # type: ignore[union-attr]

    def data_received(self, chunk: bytes) -> None:
        self._body += chunk

    async def post(self) -> None:
        try:
            body = json.loads(bytes(self._body))
        except (ValueError, RecursionError):  # not JSON, or nested deeper than any update (100,000 "[")
            body = None
        if not isinstance(body, dict) or not await self.accept(body):
            log.warning("webhook call is not an update", extra={"path": self.request.path,
                                                                "bytes": len(self._body)})
            self._refuse(400, hang_up=False)  # the body was read whole: the connection may serve the next call
            return
        self.finish({"ok": True})


class Health(_Guarded):
    def initialize(self, engine: Engine, leader: SchedulerLeader, stopping: asyncio.Event) -> None:
        self.engine, self.leader, self.stopping = engine, leader, stopping

    def get(self) -> None:
        database, scheduler = _checks(self.engine, self.leader)
        stopping = self.stopping.is_set()
        self.set_status(200 if database and not stopping else 503)
        self.finish({"database": database, "scheduler": scheduler, "stopping": stopping})


def _checks(engine: Engine, leader: SchedulerLeader) -> tuple[bool, str]:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True, leader.where()
    except Exception:  # noqa: BLE001 (any failure means "not healthy", which is the answer)
        return False, "unknown"


def server(engine: Engine, secret: str, hooks: Iterable[Hook], leader: SchedulerLeader, idle: float = IDLE_SECONDS,
           connections: int = MAX_CONNECTIONS, stopping: asyncio.Event | None = None) -> HTTPServer:
    """`stopping`, once set, turns updates away (503) and health to 503, while what was stored is finished."""
    stopping = stopping or asyncio.Event()
    routes: list[Any] = [("/healthz", Health, {"engine": engine, "leader": leader, "stopping": stopping})]
    routes += [(hook.path, _Secured, {"secret": secret, "hook": hook, "stopping": stopping}) for hook in hooks]
    http = _BoundedServer(Web(routes, default_handler_class=_NotFound), idle_connection_timeout=idle,
                          body_timeout=min(idle, BODY_SECONDS), max_body_size=MAX_BODY, max_header_size=16 * 1024)
    http.most = connections
    return http


class _BoundedServer(HTTPServer):
    """Closes a new connection at once while `most` are open: the platforms retry, the process lives."""

    most = MAX_CONNECTIONS

    def handle_stream(self, stream: IOStream, address: tuple[Any, ...]) -> None:
        if len(self._connections) >= self.most:  # type: ignore[attr-defined]
            stream.close()
            return
        super().handle_stream(stream, address)
