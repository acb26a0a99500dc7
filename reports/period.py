"""The plan's years side by side, for the sơ kết and tổng kết Sở KH&CN prepares (the plan, section III.1): each
year as its own yearly consolidation stands it (reports/summary.py, the same rules, the same figures), read
together so that a task's standings and figures can be followed from year to year.

A year is shown as the plan's data and the units' reports make it, never filled with zeros: a task not active
in a year is absent from that year (not "0 units"), a figure nobody gave is "no data", a unit that was not
expected in a year is not "missing" in it, and each year names the units as they were then (jobs/units.py: a
unit merged away is its successor's from then on, a renamed one bears its old name in the years before). A
yearly target (the plan's "each year", "1 a year") is met or not each year; a target set for a later year
(`target_by`, e.g. 2030) shows the path towards it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, tzinfo

from sqlmodel import Session

from jobs.calendar import VIETNAM
from jobs.units import UnitChange, answers_for, changes_between
from jobs.year import Standing, UnitRef
from locales import Lang
from models import Extension, Task
from models.organisation import PROVINCIAL
from models.plan import ExtensionState
from reports.docx import results_by_task
from reports.summary import FigureTotal, Tally, YearSummary, summarise

MOST_YEARS = 10  # a period longer than this is refused: the plan runs to 2030, a tổng kết covers it whole
QUOTED_A_YEAR = 3  # units' results kept for the draft under a task for each year; the rest are in the yearly files


@dataclass
class YearOfPeriod:
    """What a period keeps of one year: its counts, figures and standings, not its rows — a national year's
    assignments are 150,000 rows, each with the update in force; five of them held at once would not fit."""

    year: int
    tasks: dict[int, Task]  # active that year
    units: dict[int, UnitRef]  # expected that year
    tallies: dict[str, Tally]  # by task code
    figures: dict[tuple[str, str], FigureTotal]  # by (task code, figure key)
    standings: dict[tuple[int, int], tuple[Standing, bool]]  # (unit id, task id) → standing, reported
    reported: set[int]  # the units that reported (units_reported)
    quoted: dict[int, list[tuple[str, str]]]  # task id → (unit name, result): accepted first, QUOTED_A_YEAR
    extensions: list[tuple[Extension, str, str]]  # granted: (request, unit name, task code)

    @classmethod
    def of(cls, summary: YearSummary) -> YearOfPeriod:
        quoted = {task_id: [(row.unit.name, row.update.result.strip()) for row in rows[:QUOTED_A_YEAR]
                            if row.update is not None]
                  for task_id, rows in results_by_task(summary).items()}
        return cls(summary.year, {task.id or 0: task for task in summary.tasks()},
                   {unit.id: unit for unit in summary.units_expected}, summary.by_task(),
                   {(f.task_code, f.key): f for f in summary.figures()},
                   {(row.unit.id, row.task.id or 0): (row.standing, row.reported) for row in summary.rows},
                   {unit.id for unit in summary.units_reported}, quoted,
                   [(request, unit, code) for request, unit, code, _, _ in summary.extensions
                    if request.state == ExtensionState.APPROVED])

    @property
    def missing(self) -> set[int]:
        return set(self.units) - self.reported


@dataclass
class PeriodSummary:
    first: int
    last: int
    today: date
    years: list[YearOfPeriod]  # one per year of the period that has begun, oldest first
    changes: list[UnitChange]  # units renamed, merged or formed in the period, oldest first

    def kept_out(self, code: str, year: int) -> UnitChange | None:
        """The merger (or the forming) that keeps a unit out of a year of the period, if one does."""
        for change in self.changes:
            if change.code == code and (change.into and not answers_for(year, None, change.on)
                                        or change.formed and not answers_for(year, change.on, None)):
                return change
        return None

    @property
    def span(self) -> str:
        return f"{self.first}–{self.last}"

    def tasks(self) -> list[Task]:
        """Every task active in at least one year of the period, in the plans' order (its latest wording)."""
        found: dict[int, Task] = {}
        for year in self.years:
            found.update(year.tasks)
        return sorted(found.values(), key=lambda t: (t.plan_id, t.position))

    def units(self) -> list[UnitRef]:
        """Every unit expected in at least one year, as the latest year names it."""
        found: dict[int, UnitRef] = {}
        for year in self.years:
            found.update(year.units)
        return sorted(found.values(), key=lambda u: (u.kind not in PROVINCIAL, u.name))


def change_text(change: UnitChange, speak: Lang) -> str:
    """A unit's change as the period's files tell it."""
    when = speak.date(change.on)
    if change.was:
        return speak._("from {date}, {was} is named {name}", date=when, was=change.was, name=change.name)
    if change.into:
        return speak._("from {date}, {name} merged into {into}", date=when, name=change.name, into=change.into)
    return speak._("from {date}, {name} was formed", date=when, name=change.name)


def target_met(figure: FigureTotal, target_by: int | None, year: int) -> bool | None:
    """Whether a yearly target was met that year (None: no target, no data, or a target for a later year)."""
    if figure.target is None or not figure.reports or (target_by is not None and target_by != year):
        return None
    return figure.value >= figure.target


def target_of(task: Task, key: str) -> tuple[float | None, int | None]:
    """The figure's target and, when the plan sets it for a given year rather than each year, that year."""
    for figure in task.figures:
        if figure["key"] == key:
            return figure.get("target"), figure.get("target_by")
    return None, None


def years_of(first: int, last: int, today: date) -> Iterator[int]:
    """The years of the period that have begun (a sơ kết may be asked for a period still running)."""
    return iter(range(first, min(last, today.year) + 1))


def summarise_period(session: Session, first: int, last: int, today: date, zone: tzinfo = VIETNAM,
                     plan_ids: set[int] | None = None, scope: str = "") -> PeriodSummary:
    """Each year of the period stood on its last day (or today, for the year running), with its extensions."""
    years = [YearOfPeriod.of(summarise(session, year, min(today, date(year, 12, 31)), zone, history=False,
                                       plan_ids=plan_ids, scope=scope, extensions=True))
             for year in years_of(first, last, today)]  # one year's rows at a time: each is kept compact
    return PeriodSummary(first, last, today, years, changes_between(session, first, min(last, today.year)))
