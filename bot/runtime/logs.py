"""Logs as one JSON object per line, with the member id rather than names, and never a secret.

Every record goes through one filter that replaces the bot tokens, the webhook secret and the database
password wherever they appear (an HTTP library's URL, an exception's text), so no code path has to remember
to leave them out. Fields passed as `extra={...}` become keys of the JSON object.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.engine import make_url

from bot.settings import Settings

HIDDEN = "[hidden]"
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class Redact(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)  # a short one too

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self.hide(message), None
        record.exc_text = self.hide(record.exc_text) if record.exc_text else record.exc_text
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, self.hide(value))
        return True

    def hide(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, HIDDEN)
        return without_values(text)


_VALUES = re.compile(r"^\s*(DETAIL|Failing row contains|\[parameters:).*$", re.MULTILINE)


def without_values(text: str) -> str:
    """A database error's text without the values it quotes: PostgreSQL's DETAIL repeats the row or the key
    (a member's name, an answer), which hide_parameters cannot reach."""
    return _VALUES.sub("", text) if "DETAIL" in text or "[parameters:" in text or "Failing row" in text else text


def describe_error(error: BaseException) -> str:
    """One line that says what failed, fit for a log or the journal: the exception's type and first line."""
    lines = [line for line in without_values(str(error)).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0][:300]}" if lines else type(error).__name__


class OncePerInterval(logging.Filter):
    """The same event from the same place is written once per `interval` seconds; the next line written says
    how many were left out (`repeated`). A flood of one error (a full accept queue, a dead database) must not
    fill the disk."""

    def __init__(self, interval: float = 60.0) -> None:
        super().__init__()
        self.interval = interval
        self._seen: dict[tuple[str, int, str], list[float]] = {}  # [last written, left out since]

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.lineno, str(record.msg))
        seen = self._seen.get(key)
        if seen is not None and record.created - seen[0] < self.interval:
            seen[1] += 1
            return False
        if seen is not None and seen[1]:
            record.repeated = int(seen[1])
        self._seen[key] = [record.created, 0]
        if len(self._seen) > 10_000:  # bounded, whatever varies
            self._seen.clear()
        return True


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "event": record.getMessage()}
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_text:
            entry["error"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def secrets_of(settings: Settings) -> list[str]:
    found = [s.get_secret_value() for s in (settings.telegram_token, settings.zalo_token, settings.webhook_secret)
             if s is not None]
    password = make_url(settings.database_url).password
    return found + ([str(password)] if password else [])


def setup(settings: Settings, level: int) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(OncePerInterval())
    handler.addFilter(Redact(secrets_of(settings)))
    handler.setFormatter(JsonLines())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in ("httpx", "httpcore", "alembic", "apscheduler", "tornado.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)  # a line per HTTP call or job run says nothing new
