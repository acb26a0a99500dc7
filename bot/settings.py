"""Configuration from the environment or `.env`. The names are fixed by the design (TDC_…)."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TDC_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/tdc-bot.sqlite3"
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    listen: str = "0.0.0.0:8080"
    zalo_token: SecretStr | None = None
    zalo_api_url: str = "https://bot-api.zaloplatforms.com/bot"
    zalo_bot_name: str = ""  # how officers find the bot on Zalo, as the invitation letters say
    signer_title: str = ""  # who signs the Word draft ("GIÁM ĐỐC", "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"); placeholders if unset
    signer_name: str = ""
    timezone: str = "Asia/Ho_Chi_Minh"
    language: str = "vi"
    rate_limit: float = 25.0
    send_workers: int = Field(default=16, ge=1, le=64)  # chats the sender serves at once (bot/runtime/sender.py)
    # Updates handled at once (bot/runtime/conversation.py); 0: by the database (handler_threads).
    handler_workers: int = Field(default=0, ge=0, le=64)
    keep_days: int = Field(default=30, ge=1, le=3650)  # journal, sent notices and old buttons are pruned after

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def handler_threads(self) -> int:
        """SQLite lets one transaction write at a time, and threads that wait for it sleep in steps: one thread
        keeps it busy (bench/inbound.py: 1–2 threads handle a third more updates a second than 6, and one
        answers sooner than two, which share the GIL and finish their messages later together). PostgreSQL
        locks rows, and its round trips are overlapped by a few threads; more fight for the GIL (200 officers on
        a server beside the bot: 2 threads 82-103 updates/s, 4 76-78, 8 67-74). A server farther than a
        millisecond away wants more: TDC_HANDLER_WORKERS."""
        if self.handler_workers:
            return self.handler_workers
        return 1 if self.database_url.startswith("sqlite") else 4

    def now(self) -> datetime:
        """Local time of the province, naive: dates in the plan are local dates."""
        return datetime.now(self.zone).replace(tzinfo=None)
