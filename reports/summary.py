"""The year at a glance for Sở KH&CN: counts by section, task and unit, figures against their targets, who has
not reported. Each assignment stands as jobs/year.py says; nothing here decides a standing."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import Any

from sqlalchemy import Text, cast, func, union
from sqlalchemy.orm import SessionTransaction, aliased
from sqlmodel import Session, col, select

from jobs.calendar import VIETNAM
from jobs.year import (SUBMISSION_FIELDS, AssignmentYear, Standing, StandingCount, Submission, UnitRef, decoded,
                       present_in, rows_of, submissions, year_counts, year_of)
from locales import N_
from models import (AnnualReport, Assignment, EvidenceFile, Extension, Member, Plan, ProgressUpdate, Task,
                    UpdateInForce)
from models.organisation import COMMUNE_LEVEL, PROVINCIAL
from models.progress import ReviewState

STREAMED_ROWS = 5_000
# How the province's units are grouped when they are too many to list one by one (the chart, the draft).
KIND_GROUPS = {**{kind: N_("Departments and agencies") for kind in PROVINCIAL},
               **{kind: N_("Communes, wards, special zone") for kind in COMMUNE_LEVEL}}


@dataclass
class Tally:
    """How many assignments stand each way, and how many of them nothing was reported on (a flag, counted
    beside the standings, never instead of one)."""

    standings: Counter[Standing] = field(default_factory=Counter)
    unreported: int = 0

    def add(self, row: AssignmentYear) -> None:
        self.count(row.standing, row.reported)

    def count(self, standing: Standing, reported: bool, n: int = 1) -> None:
        self.standings[standing] += n
        self.unreported += 0 if reported else n

    def __getitem__(self, standing: Standing) -> int:
        return self.standings[standing]

    @property
    def total(self) -> int:
        return sum(self.standings.values())


def tally(rows: Iterable[AssignmentYear], key: Callable[[AssignmentYear], Any]) -> dict[Any, Tally]:
    found: dict[Any, Tally] = defaultdict(Tally)
    for row in rows:
        found[key(row)].add(row)
    return dict(found)


@dataclass(frozen=True)
class FigureTotal:
    task_code: str
    key: str
    label: str
    unit: str
    kind: str
    value: float  # a sum, or for percentages the mean of the units that gave one
    reports: int
    target: float | None


@dataclass
class Consolidation:
    """What every consolidated view has: the year, the day, the plans its rows come from, and the one plan
    asked for, if one was."""

    year: int
    today: date
    plans: list[Plan]
    scope: str  # the key of the one plan consolidated, when one was asked for

    @property
    def sections(self) -> list[tuple[Plan, dict[str, Any]]]:
        return [(plan, section) for plan in self.plans for section in plan.sections]

    def section_name(self, plan: Plan, section: dict[str, Any]) -> str:
        """"III", or "ke-hoach-12-2026 III" when several plans are consolidated together."""
        return str(section["number"]) if len(self.plans) == 1 else f"{plan.key} {section['number']}"


@dataclass
class YearOverview(Consolidation):
    """/baocao's first screen: the year counted by the database (jobs/year.year_counts) rather than read
    assignment by assignment, with the same standings, in about a second at national scale."""

    counts: list[StandingCount]
    units_expected: int
    units_reported: int  # reported (counts_as_reported) on at least one task, or sent an annual report not returned
    figures: list[FigureTotal]
    annual_received: int = 0  # units whose annual report arrived, apart from those that sent updates only

    def by_section(self) -> dict[tuple[int, str], Tally]:
        found: dict[tuple[int, str], Tally] = defaultdict(Tally)
        for count in self.counts:
            found[(count.task.plan_id, count.task.section)].count(count.standing, count.reported, count.count)
        return dict(found)


@dataclass
class YearSummary(Consolidation):
    """The year assignment by assignment, as jobs/year.year_of stands each: what the files and the
    drill-downs read."""

    rows: list[AssignmentYear]
    # Every update of the year, superseded ones too, streamed from the database: read it once.
    updates: Iterable[tuple[Submission, UnitRef, Task, str]]
    annual_reports: list[tuple[AnnualReport, UnitRef]] = field(default_factory=list)  # the newest of each unit
    # Every extension request of the year: (request, unit name, task code, who asked, who decided), for the files.
    extensions: list[tuple[Extension, str, str, str, str | None]] = field(default_factory=list)
    files: dict[int, list[str]] = field(default_factory=dict)  # update id → its evidence, "name (sha256…)"

    @property
    def units_expected(self) -> list[UnitRef]:
        return _unique(row.unit for row in self.rows)

    @property
    def units_reported(self) -> list[UnitRef]:
        """Units that reported on at least one task (jobs/year.counts_as_reported), or whose annual report
        stands (not returned)."""
        return _unique([row.unit for row in self.rows if row.reported]
                       + [unit for report, unit in self.annual_reports
                          if report.review_state != ReviewState.RETURNED])

    @property
    def units_missing(self) -> list[UnitRef]:
        reported = {u.id for u in self.units_reported}
        return [u for u in self.units_expected if u.id not in reported]

    def by_task(self) -> dict[str, Tally]:
        return tally(self.rows, lambda row: row.task.code)

    def by_section(self) -> dict[tuple[int, str], Tally]:
        return tally(self.rows, lambda row: (row.task.plan_id, row.task.section))

    def by_kind_and_task(self) -> dict[tuple[str, int], Tally]:
        """(the kind group's label as in KIND_GROUPS, task id) → its tally."""
        return tally(self.rows, lambda row: (KIND_GROUPS.get(row.unit.kind, row.unit.kind), row.task.id or 0))

    def by_unit(self) -> dict[int, Tally]:
        return tally(self.rows, lambda row: row.unit.id or 0)

    def tasks(self) -> list[Task]:
        return sorted({row.task.id: row.task for row in self.rows}.values(), key=lambda t: (t.plan_id, t.position))

    def figures(self) -> list[FigureTotal]:
        given: dict[tuple[int, str], tuple[float, int]] = {}
        for row in self.rows:
            if row.reported and row.update is not None and row.task.figures:
                _add_figures(given, row.task, row.update.figures)  # decoded only where the task counts something
        return figure_totals(self.tasks(), given)


def _add_figures(given: dict[tuple[int, str], tuple[float, int]], task: Task, values: Mapping[str, Any],
                 times: int = 1) -> None:
    """Adds what an update in force gave (`times` updates gave the same) to the task's (sum, how many gave it)
    of each figure."""
    for figure in task.figures:
        if (value := values.get(figure["key"])) is not None:
            total, count = given.get((task.id or 0, figure["key"]), (0.0, 0))
            given[(task.id or 0, figure["key"])] = total + float(value) * times, count + times


def figure_totals(tasks: list[Task], given: dict[tuple[int, str], tuple[float, int]]) -> list[FigureTotal]:
    """Each task's figures from (task id, figure key) → (the sum of what the updates in force gave, how many
    gave it): a count is the sum, a percentage the mean."""
    totals: list[FigureTotal] = []
    for task in tasks:
        for figure in task.figures:
            total, count = given.get((task.id or 0, figure["key"]), (0.0, 0))
            kind = figure.get("kind", "count")
            value = (total / count if count else 0.0) if kind == "percent" else total
            totals.append(FigureTotal(task.code, figure["key"], figure["label"], figure.get("unit", ""), kind,
                                      value, count, figure.get("target")))
    return totals


def _unique(units: Any) -> list[UnitRef]:
    seen: dict[int, UnitRef] = {}
    for unit in units:
        seen.setdefault(unit.id or 0, unit)
    return sorted(seen.values(), key=lambda u: (u.kind not in PROVINCIAL, u.name))


def summarise(session: Session, year: int, today: date, zone: tzinfo = VIETNAM,
              history: bool = True, plan_ids: set[int] | None = None, scope: str = "",
              extensions: bool | None = None) -> YearSummary:
    """The year's picture: every assignment as jobs/year.py stands it, of every plan or of the given ones. With
    `history` every update of the year is listed too, superseded ones included (the workbook's "Updates"), and
    the year's extension requests (`extensions`, by default with the history)."""
    rows = year_of(session, year, today, zone=zone, plan_ids=plan_ids)
    expected = {row.unit.id for row in rows}
    tasks = {row.task.id: row.task for row in rows}
    units = {row.unit.id: row.unit for row in rows}
    updates = ((u, units[unit_id], tasks[task_id], who)
               for u, unit_id, task_id, who in _history(session, str(year), session.get_transaction())
               if unit_id in expected and task_id in tasks) if history else iter(())
    annual: dict[int, tuple[AnnualReport, UnitRef]] = {}
    for report in session.exec(select(AnnualReport).where(AnnualReport.period == str(year))
                               .order_by(col(AnnualReport.created_at), col(AnnualReport.id))).all():
        if report.unit_id in expected:
            annual[report.unit_id] = (report, units[report.unit_id])
    plans = [p for p in session.exec(select(Plan).order_by(col(Plan.id))) if p.id in {r.task.plan_id for r in rows}]
    files: dict[int, list[str]] = {}
    if history:
        for update_id, name, digest in session.exec(
                select(EvidenceFile.progress_update_id, EvidenceFile.filename, EvidenceFile.sha256)
                .join(ProgressUpdate, col(ProgressUpdate.id) == EvidenceFile.progress_update_id)
                .where(ProgressUpdate.period == str(year)).order_by(col(EvidenceFile.id))):
            files.setdefault(update_id or 0, []).append(f"{name} (SHA-256 {digest[:12]}…)")
    return YearSummary(year, today, plans, scope, rows, updates, annual_reports=list(annual.values()), files=files,
                       extensions=_extensions(session, str(year), units)
                       if (history if extensions is None else extensions) else [])


def _extensions(session: Session, period: str,
                units: dict[int, UnitRef]) -> list[tuple[Extension, str, str, str, str | None]]:
    """The year's extension requests of the units consolidated (named as the year names them), with who asked
    and who decided."""
    asker, decider = aliased(Member), aliased(Member)
    query = (select(Extension, Assignment.unit_id, Task.code, asker.display_name, decider.display_name)
             .join(Assignment, col(Assignment.id) == Extension.assignment_id)
             .join(Task, col(Task.id) == Assignment.task_id)
             .join(asker, asker.id == Extension.asked_by_member_id)
             .outerjoin(decider, decider.id == Extension.decided_by_member_id)
             .where(Extension.period == period).order_by(col(Extension.id)))
    return [(request, units[unit_id].name, task, asked, decided)
            for request, unit_id, task, asked, decided in session.exec(query) if unit_id in units]


def overview_of(session: Session, year: int, today: date, zone: tzinfo = VIETNAM,
                plan_ids: set[int] | None = None, scope: str = "") -> YearOverview:
    """The year's overview: standings and units counted by the database, figures summed from the updates in
    force of the tasks that have figures. It equals summarise's (tests/test_report.py compares them)."""
    counts = year_counts(session, year, today, zone, plan_ids)
    tasks = sorted({c.task.id: c.task for c in counts}.values(), key=lambda t: (t.plan_id, t.position))
    period, task_ids, present = str(year), {task.id for task in tasks}, present_in(session, year)
    expected = select(Assignment.unit_id).where(col(Assignment.task_id).in_(task_ids), present)
    with_update = (select(Assignment.unit_id)  # reported: an update in force not returned (counts_as_reported)
                   .join(UpdateInForce, col(UpdateInForce.assignment_id) == Assignment.id)
                   .join(ProgressUpdate, col(ProgressUpdate.id) == UpdateInForce.progress_update_id)
                   .where(col(Assignment.task_id).in_(task_ids), present, UpdateInForce.period == period,
                          ProgressUpdate.review_state != ReviewState.RETURNED))
    with_report = select(AnnualReport.unit_id).where(AnnualReport.period == period,
                                                     col(AnnualReport.unit_id).in_(expected))
    standing_report = with_report.where(AnnualReport.review_state != ReviewState.RETURNED)
    counted = {task.id or 0: task for task in tasks if task.figures}
    given: dict[tuple[int, str], tuple[float, int]] = {}
    figures = cast(ProgressUpdate.figures, Text)
    for task_id, text, times in rows_of(session, select(Assignment.task_id, figures, func.count())
                                        .join(UpdateInForce, col(UpdateInForce.assignment_id) == Assignment.id)
                                        .join(ProgressUpdate, col(ProgressUpdate.id) == UpdateInForce.progress_update_id)
                                        .where(UpdateInForce.period == period, col(Assignment.task_id).in_(counted),
                                               present,
                                               ProgressUpdate.review_state != ReviewState.RETURNED)  # reported
                                        .group_by(Assignment.task_id, figures)):  # the same answers, counted
        _add_figures(given, counted[task_id], decoded(text), times)
    plans = [p for p in session.exec(select(Plan).order_by(col(Plan.id))) if p.id in {t.plan_id for t in tasks}]
    return YearOverview(year, today, plans, scope, counts, _count(session, expected.distinct()),
                        _count(session, union(with_update, standing_report)), figure_totals(tasks, given),
                        _count(session, with_report.distinct()))


def _count(session: Session, query: Any) -> int:
    return int(session.exec(select(func.count()).select_from(query.subquery())).one())


def _history(session: Session, period: str,
             begun: SessionTransaction | None) -> Iterator[tuple[Submission, int, int, str]]:
    """Every update of the period in the order given, with its unit, task and author: a few thousand rows at a
    time, never the national year's half a million at once.

    Read in the transaction that read the year (`begun`), so the files agree with the rows. Read after that
    session closed, the stream would open a connection nothing returns until the garbage collector finds it;
    sixteen such reads once emptied the pool: refused instead."""
    if session.get_transaction() is not begun:
        raise RuntimeError("a summary's updates are read inside the session that made the summary")
    query = (submissions(Assignment.unit_id, Assignment.task_id)
             .join(Assignment, col(Assignment.id) == ProgressUpdate.assignment_id)
             .where(ProgressUpdate.period == period)
             .order_by(col(ProgressUpdate.created_at), col(ProgressUpdate.id)))
    session.flush()
    for row in session.connection().execute(query.execution_options(yield_per=STREAMED_ROWS)):  # this query only
        yield Submission._make(row[:SUBMISSION_FIELDS]), row[SUBMISSION_FIELDS], row[SUBMISSION_FIELDS + 1], row[9]
