"""The catalogs and the one way to speak from them.

Every user-facing string is an English msgid translated through Babel; Vietnamese is the default.
Catalogs are read from the .po files at first use and compiled in memory, so a fresh checkout speaks
both languages with no build step and a compiled file can never be stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent
SUPPORTED = ("vi", "en")
DEFAULT = "vi"


def N_(msgid: str) -> str:
    """Marks a msgid for extraction where it is declared (forms, tables); it is translated when shown."""
    return msgid


@lru_cache(maxsize=None)
def translations(code: str) -> NullTranslations:
    po = LOCALES_DIR / code / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()  # the msgids themselves are English
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


@dataclass(frozen=True)
class Lang:
    """A member's language: translation, dates and numbers, all in one place."""

    code: str = DEFAULT

    def _(self, msgid: str, **values: object) -> str:
        text = translations(self.code).gettext(msgid)
        return text.format(**values) if values else text

    def date(self, day: date) -> str:
        return _format_day(day, self.code)

    def number(self, value: float | int | Decimal) -> str:
        return format_decimal(value, locale=self.code)


def lang(code: str | None) -> Lang:
    return Lang(code if code in SUPPORTED else DEFAULT)


@lru_cache(maxsize=4096)
def _format_day(day: date, code: str) -> str:
    """Cached: a fan-out to thousands of units writes the same few dates thousands of times."""
    return format_date(day, "dd/MM/yyyy" if code == "vi" else "d MMM yyyy", locale=code)
