"""A submission's reference: "u12" for progress update 12, "a5" for annual report 5. The one format the desk,
the command line, the workbooks, `/sualai` and the buttons print and read. An extension request is an item a
button decides too ("e7"); people never type that one, so `parse` reads only what they are shown.

It lives beside the year (jobs/) rather than in the review desk because the consolidated workbook
(reports/xlsx.py) prints it too, and reports may not import handlers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from jobs.text import fold
from models import AnnualReport, ProgressUpdate

UPDATE, ANNUAL, EXTENSION = "u", "a", "e"
_TYPED = re.compile(r"^([ua])(\d{1,12})$")
_KEY = re.compile(r"^([uae])(\d{1,12})$")
_SPAN = re.compile(r"^([ua])(\d{1,12})-(?:([ua]))?(\d{1,12})$")


@dataclass(frozen=True, order=True)
class Ref:
    """Ordered as every bulk decision takes rows (annual reports, then updates, each by number), so that two
    managers deciding overlapping sets at once wait on each other and never deadlock."""

    kind: str
    number: int

    def __str__(self) -> str:
        return f"{self.kind}{self.number}"

    @classmethod
    def update(cls, number: int) -> Ref:
        return cls(UPDATE, number)

    @classmethod
    def annual(cls, number: int) -> Ref:
        return cls(ANNUAL, number)

    @classmethod
    def extension(cls, number: int) -> Ref:
        return cls(EXTENSION, number)

    @classmethod
    def of(cls, row: ProgressUpdate | AnnualReport) -> Ref:
        return cls(UPDATE if isinstance(row, ProgressUpdate) else ANNUAL, row.id or 0)

    @classmethod
    def parse(cls, text: str) -> Ref | None:
        """A reference as a person types it ("u12", "U 12", "a5")."""
        match = _TYPED.match(fold(text).replace(" ", ""))
        return cls(match.group(1), int(match.group(2))) if match else None

    @classmethod
    def from_key(cls, key: str | None) -> Ref | None:
        """A reference as the bot stored it (a button's item), extensions included."""
        match = _KEY.match(key or "")
        return cls(match.group(1), int(match.group(2))) if match else None

    @property
    def is_update(self) -> bool:
        return self.kind == UPDATE

    @property
    def is_annual(self) -> bool:
        return self.kind == ANNUAL

    @property
    def table(self) -> type[ProgressUpdate] | type[AnnualReport]:
        return ProgressUpdate if self.kind == UPDATE else AnnualReport

    @property
    def subject(self) -> str:
        """How the audit log names the submission."""
        return f"progress_update:{self.number}" if self.kind == UPDATE else f"annual_report:{self.number}"


def span(text: str) -> tuple[str, int, int] | None:
    """A range as a person types it, "u37-u45" or "u37-45": its kind (the first one's) and its two numbers."""
    match = _SPAN.match(fold(text).replace(" ", ""))
    return (match.group(1), int(match.group(2)), int(match.group(4))) if match else None


def in_lock_order(refs: Iterable[str]) -> list[str]:
    """References once each, in the order every bulk decision takes their rows (see Ref)."""
    parsed = {Ref.from_key(ref) for ref in refs}
    return [str(ref) for ref in sorted(r for r in parsed if r is not None)]
