"""The running bot: channels in, the journal's leftovers first, the scheduler in one process only.

    polling  (no TDC_TELEGRAM_WEBHOOK_URL): Telegram and/or Zalo long polling
    webhook  (TDC_TELEGRAM_WEBHOOK_URL + TDC_WEBHOOK_SECRET): bot/runtime/webhooks.py on TDC_LISTEN

Either way, on start the bot first processes what a crash left in the inbound journal, then serves, and
every minute sends replies that a platform outage kept back; the reminder scheduler runs wherever
bot/runtime/leader.py's lock is held. SIGTERM and SIGINT stop it cleanly: from that moment the webhooks answer 503 before
storing anything (the platform retries; another process takes the update) and /healthz answers 503, while
what was stored is answered and what the courier holds is sent before the process exits.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.engine import Engine

from bot.channels.telegram import CHANNEL as TELEGRAM
from bot.channels.telegram import TelegramInbox, build_application, deliverer
from bot.channels.zalo import CHANNEL as ZALO
from bot.channels.zalo import ZaloClient, ZaloPoller
from bot.channels.zalo import deliverer as zalo_deliverer
from bot.runtime.conversation import Conversation
from bot.runtime.leader import SchedulerLeader
from bot.runtime.scheduler import ReminderCycle
from bot.runtime.sender import Courier, Sender
from bot.settings import Settings

log = logging.getLogger("tdc.service")


async def serve(engine: Engine, settings: Settings) -> None:
    conversation = Conversation(engine, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    application = build_application(settings) if settings.telegram_token else None
    zalo = ZaloClient(settings.zalo_api_url, settings.zalo_token.get_secret_value()) if settings.zalo_token else None
    channels: dict[str, Any] = {}
    inbox = poller = None
    if application is not None:
        await application.initialize()
        inbox = TelegramInbox(application.bot, conversation)
        channels[TELEGRAM] = deliverer(application.bot)
    if zalo is not None:
        poller = ZaloPoller(zalo, conversation)
        channels[ZALO] = zalo_deliverer(zalo, settings.language)
    sender = Sender(engine, channels, workers=settings.send_workers)
    cycle = ReminderCycle(engine, sender, settings.now, keep_days=settings.keep_days)
    courier = Courier(sender)
    conversation.on_queued = courier.wake
    leader = SchedulerLeader(engine, lambda: cycle.start(settings.timezone))
    await conversation.recover()
    work = [leader.run(stop), conversation.keep_recovering(stop), courier.run(stop)]
    http = None
    if settings.telegram_webhook_url:
        http = await _webhooks(engine, settings, inbox, poller, zalo, leader, stop)
        work.append(stop.wait())
    else:
        work += [inbox.poll(stop)] if inbox else []
        work += [poller.run(stop)] if poller else []
    log.info("serving", extra={"mode": "webhook" if http else "polling", "channels": sorted(channels)})
    try:
        await asyncio.gather(*work)
    finally:
        if http is not None:
            http.stop()
        await conversation.drain()
        leader.release()
        if application is not None:
            await application.shutdown()
        if zalo is not None:
            await zalo.close()


async def _webhooks(engine: Engine, settings: Settings, inbox: TelegramInbox | None, poller: ZaloPoller | None,
                    zalo: ZaloClient | None, leader: SchedulerLeader, stopping: asyncio.Event) -> Any:
    from bot.runtime.webhooks import server

    assert settings.telegram_webhook_url and settings.webhook_secret
    base, secret = settings.telegram_webhook_url.rstrip("/"), settings.webhook_secret.get_secret_value()
    if inbox is not None:
        await inbox.bot.set_webhook(f"{base}/telegram", secret_token=secret, allowed_updates=["message", "callback_query"])
    if zalo is not None:
        await zalo.call("setWebhook", url=f"{base}/zalo", secret_token=secret)
    http = server(engine, secret, inbox, poller, leader, stopping=stopping)
    host, _, port = settings.listen.rpartition(":")
    http.listen(int(port), host or None)
    return http


@asynccontextmanager
async def delivery_channels(settings: Settings) -> AsyncIterator[dict[str, Any]]:
    """The channels the outbox can be delivered on, by name (Telegram and/or Zalo, as their tokens are set),
    opened for the block and closed after it: for `python -m bot remind`, which sends without serving."""
    channels: dict[str, Any] = {}
    application = build_application(settings) if settings.telegram_token else None
    zalo = ZaloClient(settings.zalo_api_url, settings.zalo_token.get_secret_value()) if settings.zalo_token else None
    if application is not None:
        await application.initialize()
        channels[TELEGRAM] = deliverer(application.bot)
    if zalo is not None:
        channels[ZALO] = zalo_deliverer(zalo, settings.language)
    try:
        yield channels
    finally:
        if application is not None:
            await application.shutdown()
        if zalo is not None:
            await zalo.close()
