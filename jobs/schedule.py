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


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _day(m: re.Match[str], before: bool = False) -> Rule | None:
    """"30/6/2025" → that day; "trước ngày 30/6/2025" → the day before, as the seed's annual report is read."""
    try:
        due = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None
    return Rule(RuleKind.ONCE, due=due - timedelta(days=1) if before else due)


def _month_of_year(m: re.Match[str]) -> Rule | None:
    """"6/2025", "Tháng 10/2025" → the month's last day."""
    month, year = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(3)), int(m.group(4)))
    return Rule(RuleKind.ONCE, due=_month_end(year, month)) if 1 <= month <= 12 else None


def _month_every_year(m: re.Match[str]) -> Rule | None:
    month = int(m.group(1))
    return Rule(RuleKind.YEARLY, month=month, day=_month_end(2001, month).day) if 1 <= month <= 12 else None


def _years(m: re.Match[str]) -> list[Rule] | None:
    """"2025 - 2026" → the end of each year of the range: yearly in between, the range's end last."""
    first, last = int(m.group(1)), int(m.group(2))
    if not first <= last <= first + 20:
        return None
    return [Rule(RuleKind.ONCE, due=date(year, 12, 31)) for year in range(first, last + 1)]


def _every_quarter(m: re.Match[str]) -> list[Rule]:
    return [Rule(RuleKind.YEARLY, month=3 * q, day=_quarter_end(q, 2001).day) for q in range(1, 5)]


_ASIDE = 0xE000  # private-use characters mark, inside a clause, phrases set aside as impossible dates
_YEAR = r"(20\d{2})"  # a year of this century: not a decision's number ("Quyết định 1322/QĐ-TTg")

# Order matters: a longer, more specific phrasing is tried before the phrases it contains.
_PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(rf"(?:trong )?{_QUARTER} {_EVERY_YEAR}"), _quarter_every_year),
    (re.compile(rf"{_QUARTER}\s*(?:/|nam)\s*(\d{{4}})"), _quarter_of_year),
    (re.compile(r"(?:hang|moi|tung) quy"), _every_quarter),
    (re.compile(rf"truoc (?:ngay )?(\d{{1,2}})\s*/\s*(\d{{1,2}})\s*/\s*{_YEAR}"), lambda m: _day(m, before=True)),
    (re.compile(rf"(?:ngay )?(\d{{1,2}})\s*/\s*(\d{{1,2}})\s*/\s*{_YEAR}"), _day),
    (re.compile(rf"thang (\d{{1,2}}) {_EVERY_YEAR}"), _month_every_year),
    (re.compile(rf"(?:thang )?(\d{{1,2}})\s*/\s*{_YEAR}|thang (\d{{1,2}}) nam {_YEAR}"), _month_of_year),
    (re.compile(rf"(?:nam )?{_YEAR} (?:va|den) (?:nhung|cac) nam tiep theo"),
     lambda m: [Rule(RuleKind.ONCE, due=date(int(m.group(1)), 12, 31)), Rule(RuleKind.YEARLY, month=12, day=31)]),
    (re.compile(rf"(?:giai doan |nam )?{_YEAR}\s*(?:-|–|den)\s*(?:nam )?{_YEAR}"), _years),
    (re.compile(rf"(?:nam )?{_YEAR}\b"), lambda m: Rule(RuleKind.ONCE, due=date(int(m.group(1)), 12, 31))),
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
    when = rule.due.isoformat() if rule.due else f"{rule.month or 0:02d}-{rule.day or 0:02d}"
    return list(RuleKind).index(rule.kind), when


def _rules_in(clause: str) -> tuple[list[Rule], str]:
    """The rules the clause's phrases give, and what is left of it. A phrase that names an impossible date
    ("31/2/2025") gives nothing and stays in what is left, so the clause is not understood."""
    found: list[Rule] = []
    refused: list[str] = []
    for pattern, build in _PATTERNS:
        def take(match: re.Match[str]) -> str:
            built = build(match)
            if built is None:  # set aside whole, so that no shorter phrase reads a part of it
                refused.append(match.group(0))
                return chr(_ASIDE + len(refused) - 1)
            found.extend(built if isinstance(built, list) else [built])
            return " "
        clause = pattern.sub(take, clause)
    return found, re.sub(r"[\ue000-\uf8ff]", lambda m: refused[ord(m.group(0)) - _ASIDE], clause)


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

