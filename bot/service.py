"""The composition root: the one place where channels, the conversation, the courier and the scheduler are
built and wired together.

    polling  (no TDC_TELEGRAM_WEBHOOK_URL): Telegram and/or Zalo long polling
    webhook  (TDC_TELEGRAM_WEBHOOK_URL + TDC_WEBHOOK_SECRET): bot/runtime/webhooks.py on TDC_LISTEN

Either way, on start the bot first processes what a crash left in the inbound journal, then serves, and
every minute sends replies that a platform outage kept back; the reminder scheduler runs wherever
bot/runtime/leader.py's lock is held. SIGTERM and SIGINT stop it cleanly: from that moment the webhooks answer
503 before storing anything (the platform retries; another process takes the update) and /healthz answers 503,
while what was stored is answered and what the courier holds is sent before the process exits.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from telegram import Bot
from telegram.ext import Application

from bot.channels import telegram, zalo
from bot.channels.telegram import TelegramInbox
from bot.channels.zalo import ZaloClient, ZaloPoller
from bot.runtime.conversation import Conversation
from bot.runtime.delivery import Deliver
from bot.runtime.leader import SchedulerLeader
from bot.runtime.scheduler import ReminderCycle
from bot.runtime.sender import Courier, Sender
from bot.runtime.wakeup import listen
from bot.runtime.webhooks import Hook, server
from bot.settings import Settings

log = logging.getLogger("tdc.service")


def wire_telegram(bot: Bot, conversation: Conversation) -> TelegramInbox:
    """Telegram's inbox, its replies delivered through the same client."""
    conversation.connect(telegram.CHANNEL, telegram.deliverer(bot))
    return TelegramInbox(bot, conversation)


def wire_zalo(client: ZaloClient, conversation: Conversation) -> ZaloPoller:
    """Zalo's poller (and webhook), its replies delivered through the same client."""
    conversation.connect(zalo.CHANNEL, zalo.deliverer(client, conversation.settings.language))
    return ZaloPoller(client, conversation)


@dataclass
class Platforms:
    """The platforms' clients opened from the settings (each only when its token is set), and how the outbox
    delivers on each."""

    application: Application | None = None  # type: ignore[type-arg]
    zalo: ZaloClient | None = None
    deliverers: dict[str, Deliver] = field(default_factory=dict)

    async def close(self) -> None:
        if self.application is not None:
            await self.application.shutdown()
        if self.zalo is not None:
            await self.zalo.close()


async def open_platforms(settings: Settings) -> Platforms:
    platforms = Platforms()
    if settings.telegram_token:
        platforms.application = telegram.build_application(settings)
        await platforms.application.initialize()
        platforms.deliverers[telegram.CHANNEL] = telegram.deliverer(platforms.application.bot)
    if settings.zalo_token:
        platforms.zalo = ZaloClient(settings.zalo_api_url, settings.zalo_token.get_secret_value())
        platforms.deliverers[zalo.CHANNEL] = zalo.deliverer(platforms.zalo, settings.language)
    return platforms


async def serve(engine: Engine, settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    platforms = await open_platforms(settings)
    sender = Sender(engine, platforms.deliverers, workers=settings.send_workers)
    courier = Courier(sender)
    conversation = Conversation(engine, settings, on_queued=courier.wake)
    for channel, deliver in platforms.deliverers.items():
        conversation.connect(channel, deliver)
    inbox = TelegramInbox(platforms.application.bot, conversation) if platforms.application else None
    poller = ZaloPoller(platforms.zalo, conversation) if platforms.zalo else None
    cycle = ReminderCycle(engine, sender, settings.now, keep_days=settings.keep_days)
    leader = SchedulerLeader(engine, lambda: cycle.start(settings.timezone))
    await conversation.recover()
    # The courier outlives the conversation: what the updates stored before a SIGTERM queue is sent too.
    courier_stop = asyncio.Event()
    courier_runs = asyncio.create_task(courier.run(courier_stop))
    hearing = asyncio.create_task(listen(settings.database_url, courier.poke, courier_stop))
    work = [leader.run(stop), conversation.keep_recovering(stop)]
    http = None
    if settings.telegram_webhook_url:
        hooks = [channel.hook() for channel in (inbox, poller) if channel is not None]
        http = await _webhooks(engine, settings, platforms, hooks, leader, stop)
        work.append(stop.wait())
    else:
        work += [inbox.poll(stop)] if inbox else []
        work += [poller.run(stop)] if poller else []
    log.info("serving", extra={"mode": "webhook" if http else "polling", "channels": sorted(platforms.deliverers)})
    try:
        await asyncio.gather(*work)
    finally:
        if http is not None:
            http.stop()
        await conversation.drain()
        courier_stop.set()
        await asyncio.gather(courier_runs, hearing)
        leader.release()
        await platforms.close()


async def _webhooks(engine: Engine, settings: Settings, platforms: Platforms, hooks: list[Hook],
                    leader: SchedulerLeader, stopping: asyncio.Event) -> Any:
    assert settings.telegram_webhook_url and settings.webhook_secret
    base, secret = settings.telegram_webhook_url.rstrip("/"), settings.webhook_secret.get_secret_value()
    if platforms.application is not None:
        await platforms.application.bot.set_webhook(f"{base}/telegram", secret_token=secret,
                                                    allowed_updates=["message", "callback_query"])
    if platforms.zalo is not None:
        await platforms.zalo.call("setWebhook", url=f"{base}/zalo", secret_token=secret)
    http = server(engine, secret, hooks, leader, stopping=stopping)
    host, _, port = settings.listen.rpartition(":")
    http.listen(int(port), host or None)
    return http


@asynccontextmanager
async def delivery_channels(settings: Settings) -> AsyncIterator[dict[str, Deliver]]:
    """The channels the outbox can be delivered on, by name (Telegram and/or Zalo, as their tokens are set),
    opened for the block and closed after it: for `python -m bot remind`, which sends without serving."""
    platforms = await open_platforms(settings)
    try:
        yield platforms.deliverers
    finally:
        await platforms.close()
