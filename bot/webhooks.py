"""Webhook mode: one small HTTP server (tornado, which python-telegram-bot's webhook extra brings) for both
platforms and a health check.

    POST /telegram   Telegram updates; X-Telegram-Bot-Api-Secret-Token must equal TDC_WEBHOOK_SECRET
    POST /zalo       Zalo updates; X-Bot-Api-Secret-Token must equal TDC_WEBHOOK_SECRET
    GET  /healthz    200 when the database answers and the scheduler runs (here or in another process of the
                     bot, see bot/leader.py), 503 otherwise

A call without the right secret gets 401 and is not processed. The webhooks are registered at
TDC_TELEGRAM_WEBHOOK_URL + "/telegram" and + "/zalo": the one public address of this server.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from telegram import Update
from tornado.httpserver import HTTPServer
from tornado.web import Application as Web
from tornado.web import RequestHandler

from bot.channels.telegram import TelegramInbox
from bot.leader import SchedulerLeader
from bot.channels.zalo import ZaloPoller

log = logging.getLogger("tdc.webhooks")
TELEGRAM_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ZALO_HEADER = "X-Bot-Api-Secret-Token"


class _Secured(RequestHandler):
    header = ""

    def initialize(self, secret: str, accept: Callable[[dict[str, Any]], Any]) -> None:
        self.secret, self.accept = secret, accept

    async def post(self) -> None:
        given = self.request.headers.get(self.header, "")
        if not self.secret or not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.set_status(401)
            self.finish({"ok": False})
            return
        try:
            update = json.loads(self.request.body)
        except ValueError:
            self.set_status(400)
            self.finish({"ok": False})
            return
        await self.accept(update)
        self.finish({"ok": True})


class TelegramHook(_Secured):
    header = TELEGRAM_HEADER


class ZaloHook(_Secured):
    header = ZALO_HEADER


class Health(RequestHandler):
    def initialize(self, engine: Engine, leader: SchedulerLeader) -> None:
        self.engine, self.leader = engine, leader

    def get(self) -> None:
        database, scheduler = _checks(self.engine, self.leader)
        self.set_status(200 if database and scheduler != "nowhere" else 503)
        self.finish({"database": database, "scheduler": scheduler})


def _checks(engine: Engine, leader: SchedulerLeader) -> tuple[bool, str]:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True, leader.where()
    except Exception:  # noqa: BLE001 (any failure means "not healthy", which is the answer)
        return False, "unknown"


def server(engine: Engine, secret: str, telegram: TelegramInbox | None, zalo: ZaloPoller | None,
           leader: SchedulerLeader) -> HTTPServer:
    routes: list[Any] = [("/healthz", Health, {"engine": engine, "leader": leader})]
    if telegram is not None:
        async def accept_telegram(data: dict[str, Any]) -> None:
            await telegram.accept(Update.de_json(data, telegram.bot))  # stored before the 200 goes back

        routes.append(("/telegram", TelegramHook, {"secret": secret, "accept": accept_telegram}))
    if zalo is not None:
        routes.append(("/zalo", ZaloHook, {"secret": secret, "accept": zalo.accept}))
    return HTTPServer(Web(routes))
