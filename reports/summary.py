"""The year at a glance, derived from the stored updates and nothing else.

Each assignment's standing follows the government's task-tracking practice: the officer says done / in
progress / not started / nothing arose; whether it was on time is derived from the task's deadlines.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone, tzinfo
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, func, select

from jobs.calendar import VIETNAM
from jobs.deadlines import recorded_events, task_deadlines
from jobs.schedule import Deadline, RuleKind
from locales import N_
from models import AnnualReport, Assignment, Member, Plan, ProgressUpdate, Task, Unit
from models.plan import AssignmentRole
from models.progress import Status


class Standing(StrEnum):
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    IN_PROGRESS = "in_progress"
    OVERDUE = "overdue"
    NOT_ARISEN = "not_arisen"
    NOT_REPORTED = "not_reported"


@dataclass(frozen=True, slots=True)
class Answer:
    """A stored update as the reports read it: plain values, so a national year loads in seconds."""

    id: int
    assignment_id: int
    status: str
    percent: float | None
    result: str
    figures: dict[str, Any]
    difficulties: str
    channel: str
    created_at: datetime


@dataclass(frozen=True)
class Row:
    """One assignment in the year: who, which task, in which role, and where it stands."""

    unit: Unit
    task: Task
    role: str
    due: date | None  # what "on time" is measured against (deadline_for); None while an event is awaited
    standing: Standing
    update: Answer | None


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
class YearSummary:
    year: int
    today: date
    rows: list[Row]
    updates: list[tuple[Answer, Unit, Task, str]]  # every update of the year, superseded ones too
    sections: list[dict[str, Any]] = field(default_factory=list)
    annual_reports: list[tuple[AnnualReport, Unit]] = field(default_factory=list)  # the newest of each unit

    @property
    def units_expected(self) -> list[Unit]:
        return _unique(row.unit for row in self.rows)

    @property
    def units_reported(self) -> list[Unit]:
        """Units that sent their annual report or updated at least one task this year."""
        return _unique([row.unit for row in self.rows if row.update is not None]
                       + [unit for _, unit in self.annual_reports])

    @property
    def units_missing(self) -> list[Unit]:
        reported = {u.id for u in self.units_reported}
        return [u for u in self.units_expected if u.id not in reported]

    def by_task(self) -> dict[str, Counter[Standing]]:
        counts: dict[str, Counter[Standing]] = defaultdict(Counter)
        for row in self.rows:
            counts[row.task.code][row.standing] += 1
        return dict(counts)

    def by_section(self) -> dict[str, Counter[Standing]]:
        counts: dict[str, Counter[Standing]] = defaultdict(Counter)
        for row in self.rows:
            counts[row.task.section][row.standing] += 1
        return dict(counts)

    def tasks(self) -> list[Task]:
        return sorted({row.task.id: row.task for row in self.rows}.values(), key=lambda t: (t.plan_id, t.position))

    def figures(self) -> list[FigureTotal]:
        totals: list[FigureTotal] = []
        reported: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in self.rows:
            if row.update is not None and row.update.figures:
                reported[row.task.id or 0].append(row.update.figures)
        for task in self.tasks():
            values = reported[task.id or 0]
            for figure in task.figures:
                given = [float(v[figure["key"]]) for v in values if v.get(figure["key"]) is not None]
                kind = figure.get("kind", "count")
                value = (sum(given) / len(given) if given else 0.0) if kind == "percent" else sum(given)
                totals.append(FigureTotal(task.code, figure["key"], figure["label"], figure.get("unit", ""), kind,
                                          value, len(given), figure.get("target")))
        return totals


def _unique(units: Any) -> list[Unit]:
    seen: dict[int, Unit] = {}
    for unit in units:
        seen.setdefault(unit.id or 0, unit)
    return sorted(seen.values(), key=lambda u: (u.kind not in ("department", "agency"), u.name))


def summarise(session: Session, year: int, today: date, zone: tzinfo = VIETNAM,
              history: bool = True) -> YearSummary:
    """The year's picture. Without `history` only the update in force of each assignment is read (what the
    chat overview needs); the workbook lists every update, superseded ones too."""
    period = str(year)
    events = recorded_events(session)
    plans = {p.id: p for p in session.exec(select(Plan))}
    tasks: dict[int, Task] = {}
    deadlines: dict[int, list[Deadline]] = {}  # the same for every unit: computed once a task
    for task in session.exec(select(Task).order_by(col(Task.plan_id), col(Task.position))):
        found = task_deadlines(task, plans[task.plan_id], year, events.get(task.id or 0))
        if found or any(rule.get("kind") == "event" for rule in task.schedule_rules):
            tasks[task.id or 0], deadlines[task.id or 0] = task, found
    units = {u.id: u for u in session.exec(select(Unit))}
    answers = _answers(session, period, only_latest=not history)
    latest = {update.assignment_id: update for update, _, _, _ in answers}
    order = {task_id: n for n, task_id in enumerate(tasks)}
    rows: list[Row] = []
    assignments = session.exec(select(Assignment.id, Assignment.unit_id, Assignment.task_id, Assignment.role)).all()
    names = {unit_id: unit.name for unit_id, unit in units.items()}
    for assignment_id, unit_id, task_id, role in sorted(
            (a for a in assignments if a[2] in tasks), key=lambda a: (order[a[2]], names[a[1]])):
        due = deadline_for(deadlines[task_id], role)
        update = latest.get(assignment_id)
        rows.append(Row(units[unit_id], tasks[task_id], role, due, standing(update, due, today, zone), update))
    expected = {row.unit.id for row in rows}
    updates = [(u, units[unit_id], tasks[task_id], who) for u, unit_id, task_id, who in answers
               if unit_id in expected and task_id in tasks] if history else []
    annual: dict[int, tuple[AnnualReport, Unit]] = {}
    for report in session.exec(select(AnnualReport).where(AnnualReport.period == period)
                               .order_by(col(AnnualReport.created_at), col(AnnualReport.id))).all():
        if report.unit_id in expected:
            annual[report.unit_id] = (report, units[report.unit_id])
    sections = next(iter(plans.values())).sections if plans else []
    return YearSummary(year, today, rows, updates, sections, list(annual.values()))


def _answers(session: Session, period: str, only_latest: bool) -> list[tuple[Answer, int, int, str]]:
    """Every update of the period in order, or only the newest of each assignment (a window function, so
    superseded rows never leave the database)."""
    query = (select(ProgressUpdate.id, ProgressUpdate.assignment_id, ProgressUpdate.status, ProgressUpdate.percent,
                    ProgressUpdate.result, ProgressUpdate.figures, ProgressUpdate.difficulties, ProgressUpdate.channel,
                    ProgressUpdate.created_at, Assignment.unit_id, Assignment.task_id, Member.display_name)
             .join(Assignment, col(Assignment.id) == ProgressUpdate.assignment_id)
             .join(Member, col(Member.id) == ProgressUpdate.member_id)
             .where(ProgressUpdate.period == period)
             .order_by(col(ProgressUpdate.created_at), col(ProgressUpdate.id)))
    if only_latest:
        newest = func.row_number().over(partition_by=ProgressUpdate.assignment_id,
                                        order_by=(col(ProgressUpdate.created_at).desc(), col(ProgressUpdate.id).desc()))
        ranked = select(ProgressUpdate.id, newest.label("rank")).where(ProgressUpdate.period == period).subquery()
        query = query.join(ranked, ranked.c.id == ProgressUpdate.id).where(ranked.c.rank == 1)
    return [(Answer(*row[:9]), row[9], row[10], row[11]) for row in session.exec(query).all()]


def deadline_for(deadlines: list[Deadline], role: str) -> date | None:
    """What "on time" is measured against: a lead unit's first dated deadline of the year (issuing a plan
    by Quý III, say), otherwise the annual report."""
    dated = [d.due for d in deadlines if d.kind is not RuleKind.ANNUAL]
    if role == AssignmentRole.LEAD and dated:
        return min(dated)
    return max((d.due for d in deadlines), default=None)


def standing(update: Answer | None, due: date | None, today: date, zone: tzinfo = VIETNAM) -> Standing:
    if update is None:
        return Standing.NOT_REPORTED
    if update.status == Status.NOT_ARISEN:
        return Standing.NOT_ARISEN
    if update.status == Status.DONE:
        local_day = update.created_at.replace(tzinfo=timezone.utc).astimezone(zone).date()
        late = due is not None and local_day > due
        return Standing.DONE_LATE if late else Standing.DONE_ON_TIME
    return Standing.OVERDUE if due is not None and due < today else Standing.IN_PROGRESS


STANDING_LABELS: dict[Standing, str] = {
    Standing.DONE_ON_TIME: N_("Done on time"),
    Standing.DONE_LATE: N_("Done late"),
    Standing.IN_PROGRESS: N_("In progress"),
    Standing.OVERDUE: N_("Overdue"),
    Standing.NOT_ARISEN: N_("Nothing arose"),
    Standing.NOT_REPORTED: N_("Not reported"),
}


# What the officer says, in the words of the forms and the reports.
STATUS_LABELS: dict[str, str] = {
    Status.DONE: N_("Done"),
    Status.IN_PROGRESS: N_("In progress"),
    Status.NOT_STARTED: N_("Not started"),
    Status.NOT_ARISEN: N_("Nothing arose this year"),
}
