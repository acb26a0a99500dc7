"""The plan's schedule phrases ("Quý III năm 2025", "Hàng năm", "Sau khi … ban hành") and the deadlines they give.

The parser recognises a closed set of phrasings and refuses everything else: a wrong deadline sent to a
hundred communes does more harm than a phrase an admin has to look at.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from jobs.calendar import LAST_DAY
from jobs.text import fold


class RuleKind(StrEnum):
    ONCE = "once"  # a single due date ("Quý III năm 2025")
    YEARLY = "yearly"  # the same day every year ("Quý II hàng năm")
    ANNUAL = "annual"  # ongoing work, accounted for in the annual report ("Thường xuyên", "1 lần/năm")
    EVENT = "event"  # due some days after an event a manager records ("Sau khi Trung ương ban hành …")


@dataclass(frozen=True)
class Rule:
    kind: RuleKind
    due: date | None = None  # ONCE
    month: int | None = None  # YEARLY
    day: int | None = None  # YEARLY

    def as_dict(self) -> dict[str, Any]:
        if self.kind is RuleKind.ONCE:
            assert self.due is not None
            return {"kind": "once", "due": self.due.isoformat()}
        if self.kind is RuleKind.YEARLY:
            return {"kind": "yearly", "month": self.month, "day": self.day}
        return {"kind": self.kind.value}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        kind = RuleKind(data["kind"])
        if kind is RuleKind.ONCE:
            due = data["due"]
            return cls(kind, due=due if isinstance(due, date) else date.fromisoformat(due))
        if kind is RuleKind.YEARLY:
            return cls(kind, month=int(data["month"]), day=int(data["day"]))
        return cls(kind)


@dataclass(frozen=True)
class NotUnderstood:
    """The parser's honest answer for a phrase it cannot read; `fragment` is the part it stumbled on."""

    text: str
    fragment: str


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_QUARTER = r"quy (iv|iii|ii|i|[1-4])\b"
_EVERY_YEAR = r"(?:hang|moi) nam"
_DATE_WORDS = re.compile(r"\d|\bquy\b|\bthang\b|\bngay\b|\btuan\b|\bnam\b")


def _quarter_end(quarter: int, year: int) -> date:
    month = quarter * 3
    return date(year, month, calendar.monthrange(year, month)[1])


def _quarter_every_year(m: re.Match[str]) -> Rule:
    end = _quarter_end(_ROMAN[m.group(1)], 2001)
    return Rule(RuleKind.YEARLY, month=end.month, day=end.day)


def _quarter_of_year(m: re.Match[str]) -> Rule:
    return Rule(RuleKind.ONCE, due=_quarter_end(_ROMAN[m.group(1)], int(m.group(2))))


# Order matters: a longer, more specific phrasing is tried before the phrases it contains.
_PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(rf"(?:trong )?{_QUARTER} {_EVERY_YEAR}"), _quarter_every_year),
    (re.compile(rf"{_QUARTER}\s*(?:/|nam)\s*(\d{{4}})"), _quarter_of_year),
    (re.compile(r"(?:ngay )?sau khi\b.*"), lambda m: Rule(RuleKind.EVENT)),
    (re.compile(rf"(?:it nhat )?0?1 (?:lan|lop)\s*/\s*nam|{_EVERY_YEAR}|thuong xuyen"), lambda m: Rule(RuleKind.ANNUAL)),
    (re.compile(r"theo ke hoach|dot xuat"), lambda m: Rule(RuleKind.ANNUAL)),
]


def parse_schedule(text: str) -> tuple[Rule, ...] | NotUnderstood:
    """Rules for a schedule cell, or NotUnderstood when any clause that speaks of time is not recognised.

    Clauses are split at sentence marks; a clause with no time words at all ("Đa dạng các hình thức tuyên
    truyền …") says how, not when, and is let through as long as another clause gives a rule.
    """
    rules: list[Rule] = []
    for clause in re.split(r"[.;()\n]+", fold(text)):
        clause = clause.strip(" -:,")
        if not clause:
            continue
        found, rest = _rules_in(clause)
        if _DATE_WORDS.search(rest):
            return NotUnderstood(text, rest.strip())
        rules.extend(r for r in found if r not in rules)
    if not rules:
        return NotUnderstood(text, fold(text))
    return tuple(sorted(rules, key=_canonical_order))


def _canonical_order(rule: Rule) -> tuple[int, str]:
    return list(RuleKind).index(rule.kind), str(rule.due or (rule.month, rule.day))


def _rules_in(clause: str) -> tuple[list[Rule], str]:
    found: list[Rule] = []
    for pattern, build in _PATTERNS:
        for match in pattern.finditer(clause):
            found.append(build(match))
        clause = pattern.sub(" ", clause)
    return found, clause


@dataclass(frozen=True)
class Deadline:
    """One date by which something is due. `kind` says why: a dated rule, an event, or the annual report."""

    due: date
    kind: RuleKind


def annual_report_due(year: int, month: int = 11, day: int = 20) -> date:
    """The plan says "before 20/11": the last day to report is the day before."""
    return date(year, month, day) - timedelta(days=1)


def deadlines_in_year(
    rules: tuple[Rule, ...] | list[Rule],
    year: int,
    *,
    event: tuple[date, int] | None = None,
    annual_report: tuple[int, int] = (11, 20),
) -> list[Deadline]:
    """A task's deadlines falling in `year`, in date order.

    `event` is (the day a manager recorded the triggering event, days allowed after it); without it an
    event-triggered task has no deadline yet.
    """
    found: list[Deadline] = []
    for rule in rules:
        if rule.kind is RuleKind.ONCE and rule.due and rule.due.year == year:
            found.append(Deadline(rule.due, rule.kind))
        elif rule.kind is RuleKind.YEARLY and rule.month and rule.day:
            found.append(Deadline(date(year, rule.month, rule.day), rule.kind))
        elif rule.kind is RuleKind.ANNUAL:
            found.append(Deadline(annual_report_due(year, *annual_report), rule.kind))
        elif rule.kind is RuleKind.EVENT and event is not None:
            due = min(event[0], LAST_DAY) + timedelta(days=min(event[1], 3650))
            if due.year == year:
                found.append(Deadline(due, rule.kind))
    return sorted(set(found), key=lambda d: (d.due, d.kind.value))

