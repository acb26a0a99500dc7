"""A unit's year: for each assignment, the deadlines that bind the unit, the update in force and the standing.

This is the one place these facts are decided. `/nhiemvu`, `/capnhat`, `/baocaonam`, `/nhacnho`, the
reminder scan, `/baocao`, the workbook, the Word draft, the chart and the CLI all read them from here, so an
assignment stands the same everywhere.

The rules, as the plan and the province's task-tracking practice apply them:

- A task is *active* in a year when one of its deadlines falls in that year (none before the plan was
  issued), or when it waits for an event no manager has recorded yet — within the plan's years for the task
  when the plan gives them (a task an amendment adds from 2026 is nobody's in 2025).
- What binds whom: a lead unit is held to every dated deadline of its task (once, yearly, event) and to the
  annual report; a cooperating unit to the annual report only. Every active assignment is part of the
  annual report.
- Standing is measured against the unit's first binding deadline of the year: the lead's first dated one,
  otherwise the annual report. Done on or before it is "done on time", after it "done late"; not done is
  "not done, within the deadline" until the day after, then "not done, overdue". "Nothing arose" stands as
  reported. A task that waits for an event is "waiting for an event" until it is done or nothing arose.
- Not having reported is a flag beside the standing, never a standing of its own.
- The update in force is the one Sở KH&CN accepted, or, while none is accepted, the newest one; it is stored
  in `update_in_force` by `save_update` and `accept_update`, in the transaction that saves or accepts it.
- An approved extension moves the unit's deadlines for that task and year (those before the new date) to
  the new date: the standing and the reminders follow it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple

from sqlalchemy import JSON, DateTime, Text, and_, bindparam, case, cast, func, literal, null, true
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from jobs.calendar import LAST_DAY, VIETNAM
from jobs.deadlines import EventRecord, recorded_events, task_deadlines
from jobs.schedule import Deadline, Rule, RuleKind, annual_report_due
from jobs.units import absent_in, answers_for, name_on, year_close
from locales import N_, Lang
from models import Assignment, Extension, Member, Plan, ProgressUpdate, Task, Unit, UpdateInForce
from models.db import upsert_insert_for
from models.plan import AssignmentRole, ExtensionState
from models.progress import FINISHED, STATUS_LABELS, ReviewState, Status


class Standing(StrEnum):
    """The administration's four words for where an assigned task stands, and the two cases beside them."""

    DONE_ON_TIME = "done_on_time"  # đã hoàn thành đúng hạn
    DONE_LATE = "done_late"  # đã hoàn thành quá hạn
    PENDING = "pending"  # chưa hoàn thành, còn trong hạn
    OVERDUE = "overdue"  # chưa hoàn thành, quá hạn
    NOT_ARISEN = "not_arisen"  # không phát sinh
    AWAITING_EVENT = "awaiting_event"  # chờ sự kiện


STANDING_LABELS: dict[Standing, str] = {
    Standing.DONE_ON_TIME: N_("Done on time"),
    Standing.DONE_LATE: N_("Done late"),
    Standing.PENDING: N_("Not done, within the deadline"),
    Standing.OVERDUE: N_("Not done, overdue"),
    Standing.NOT_ARISEN: N_("Nothing arose"),
    Standing.AWAITING_EVENT: N_("Waiting for an event"),
}
NOT_REPORTED = N_("not reported")


def counts_as_reported(update: Submission | None) -> bool:
    """What counts as reported, in every view (/baocao, /baocaonam, /nhiemvu, the reminders, the Word draft, the
    workbook, the chart): an update in force that Sở KH&CN has not returned. A returned one is being revised:
    it is shown with its note, never counted as a result (year_counts applies the same rule in SQL)."""
    return update is not None and update.review_state != ReviewState.RETURNED


def status_text(speak: Lang, status: str, percent: float | None) -> str:
    """"Đang thực hiện (60%)": what the unit said, with how far along when it said so."""
    said = speak._(STATUS_LABELS.get(status, status))
    return f"{said} ({speak.number(percent)}%)" if percent is not None else said


def standing_text(speak: Lang, standing: Standing, reported: bool) -> str:
    """"Chưa hoàn thành, quá hạn (chưa báo cáo)": the standing, and the flag when nothing was reported."""
    text = speak._(STANDING_LABELS[standing])
    return text if reported else f"{text} ({speak._(NOT_REPORTED)})"


class UnitRef(NamedTuple):
    """A unit as the year's views name it. Plain values read without the ORM: a national year has ten
    thousand units, and building each as a model object took a fifth of the summary's time."""

    id: int
    code: str
    name: str
    kind: str
    aliases_json: str  # decoded when read: only a search by name looks at them

    @property
    def aliases(self) -> list[str]:
        return list(json.loads(self.aliases_json or "[]"))


class Submission(NamedTuple):
    """An update as every view reads it. A tuple straight from the database row: a national year holds
    hundreds of thousands, and a frozen dataclass cost several times more to build."""

    id: int
    assignment_id: int
    status: str
    percent: float | None
    result: str
    figures_json: str  # kept as stored and decoded when read: most views never look at figures
    difficulties: str
    channel: str
    created_at: datetime  # naive UTC
    member_name: str
    review_state: str
    review_note: str
    reviewer: str | None  # who accepted or returned it
    reviewed_at: datetime | None  # naive UTC

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def figures(self) -> Mapping[str, Any]:
        return decoded(self.figures_json)


@lru_cache(maxsize=4096)
def decoded(text: str) -> Mapping[str, Any]:
    """Many units give the same figures (0, 1, 100 %…): each text is decoded once, and shared read-only."""
    return MappingProxyType(json.loads(text) if text else {})


@dataclass(frozen=True, slots=True)
class TaskYear:
    """A task's side of the year, the same for every unit that has it."""

    task: Task
    dated: tuple[Deadline, ...]  # once, yearly and event deadlines falling in the year: they bind the lead
    annual: Deadline | None  # the annual report, if the task is active this year
    waits_for_event: bool

    @property
    def active(self) -> bool:
        return self.annual is not None

    def binding(self, role: str) -> tuple[Deadline, ...]:
        """What binds a unit in this role: the lead every dated deadline and the annual report; a cooperating
        unit the annual report only."""
        annual = (self.annual,) if self.annual is not None else ()
        binding = (*self.dated, *annual) if role == AssignmentRole.LEAD else annual
        return tuple(sorted(binding, key=lambda d: (d.due, d.kind.value)))


class AssignmentYear(NamedTuple):
    """One unit's task in the year: what binds it, what it said last, and where it stands on `today`. A
    tuple, like Submission: a national year is 150,000 of them."""

    assignment_id: int
    unit: UnitRef
    task: Task
    role: str
    deadlines: tuple[Deadline, ...]  # binding this unit, in date order (an extension applied)
    waits_for_event: bool
    update: Submission | None  # the update in force
    standing: Standing
    extended_until: date | None = None

    @property
    def is_lead(self) -> bool:
        return self.role == AssignmentRole.LEAD

    @property
    def reported(self) -> bool:
        return counts_as_reported(self.update)

    @property
    def finished(self) -> bool:
        return self.update is not None and self.update.finished

    @property
    def due(self) -> date | None:
        return measured_against(self.deadlines)

    def text(self, speak: Lang) -> str:
        return standing_text(speak, self.standing, self.reported)


def rules_of(task: Task) -> list[Rule]:
    return [Rule.from_dict(rule) for rule in task.schedule_rules]


def event_triggered(task: Task) -> bool:
    """Whether the task starts with an event a manager records (/sukien)."""
    return any(rule.kind is RuleKind.EVENT for rule in rules_of(task))


# The statements every form step's reads run are built once: building one (and keying the compiled cache on
# it) cost more than running it, and most of a step's time (bench/inbound.py).
_UNITS = select(Unit.id, Unit.code, Unit.name, Unit.kind, cast(Unit.aliases, Text), cast(Unit.former_names, Text),
                Unit.began_on, Unit.ended_on)
_UNITS_GIVEN = _UNITS.where(col(Unit.id).in_(bindparam("units", expanding=True)))
_ASSIGNED = select(Assignment.id, Assignment.unit_id, Assignment.task_id, Assignment.role).where(
    col(Assignment.task_id).in_(bindparam("tasks", expanding=True)))
_ASSIGNED_TO = _ASSIGNED.where(col(Assignment.unit_id).in_(bindparam("units", expanding=True)))
_EXTENSIONS = select(Extension.assignment_id, Extension.until).where(
    Extension.period == bindparam("period"), Extension.state == ExtensionState.APPROVED)


def task_years(session: Session, year: int) -> dict[int, TaskYear]:
    """Every task's year, active or not, by task id.

    Read at every /capnhat and every view of a unit's year, and the same for every unit: the tasks and plans are
    read as plain rows, and each distinct row (with its event and year) is made into a `Task` and stood once
    per process (`_stood`). A plan edited, re-imported or an event recorded reads as a different row, so
    nothing is kept past a change."""
    events = recorded_events(session)
    return {row[0]: _stood(tuple(row), events.get(row[0]), year) for row in rows_of(session, _TASK_ROWS)}


def _as_text(columns: Iterable[Any]) -> list[Any]:
    """A table's columns with its JSON ones as their text: a row that can be a key."""
    return [cast(c, Text).label(c.name) if isinstance(c.type, JSON) else c for c in columns]


_TASK_COLUMNS = [c.name for c in Task.__table__.columns]  # type: ignore[attr-defined]
_PLAN_COLUMNS = [c.name for c in Plan.__table__.columns]  # type: ignore[attr-defined]
TASK_ROW = _as_text(Task.__table__.columns)  # type: ignore[attr-defined]  # what task_from_row is made from
_TASK_ROWS = (select(*TASK_ROW, *_as_text(Plan.__table__.columns))  # type: ignore[attr-defined]
              .join(Plan, col(Plan.id) == Task.plan_id).order_by(col(Task.plan_id), col(Task.position)))


@lru_cache(maxsize=4096)
def _stood(row: tuple[Any, ...], event: EventRecord | None, year: int) -> TaskYear:
    """A task's year from its row (and its plan's): made once per distinct row, event and year. The `Task` is
    not attached to any session, and is shared: read it, never change it."""
    task = task_from_row(tuple(row[:len(_TASK_COLUMNS)]))
    plan = Plan(**_decoded_fields(Plan, _PLAN_COLUMNS, row[len(_TASK_COLUMNS):]))
    deadlines = task_deadlines(task, plan, year, event)
    annual_due = annual_report_due(year, plan.annual_report_month, plan.annual_report_day)
    waiting = event is None and event_triggered(task) and annual_due >= (plan.issued_on or date.min)
    if not (task.first_year or year) <= year <= (task.last_year or year):  # not among this year's tasks
        deadlines, waiting = [], False
    dated = tuple(d for d in deadlines if d.kind is not RuleKind.ANNUAL)
    active = bool(deadlines) or waiting
    return TaskYear(task, dated, Deadline(annual_due, RuleKind.ANNUAL) if active else None, waiting)


@lru_cache(maxsize=4096)
def task_from_row(row: tuple[Any, ...]) -> Task:
    """A task from its row (`TASK_ROW`) as plain values, made once per distinct row: not attached to any
    session, and shared: read it, never change it."""
    return Task(**_decoded_fields(Task, _TASK_COLUMNS, row))


def _decoded_fields(model: Any, names: list[str], values: tuple[Any, ...]) -> dict[str, Any]:
    table = model.__table__
    return {name: json.loads(value) if isinstance(table.columns[name].type, JSON) and value is not None else value
            for name, value in zip(names, values)}


def extended(deadlines: tuple[Deadline, ...], until: date | None) -> tuple[Deadline, ...]:
    """The deadlines an approved extension to `until` leaves: those before it move to it."""
    if until is None:
        return deadlines
    until = min(until, LAST_DAY)
    return tuple(sorted({Deadline(max(d.due, until), d.kind) for d in deadlines}, key=lambda d: (d.due, d.kind.value)))


def measured_against(deadlines: Iterable[Deadline]) -> date | None:
    """The deadline a standing is measured against: the first dated one, otherwise the annual report."""
    deadlines = list(deadlines)
    dated = [d.due for d in deadlines if d.kind is not RuleKind.ANNUAL]
    return min(dated) if dated else max((d.due for d in deadlines), default=None)


def standing(update: Submission | None, due: date | None, waiting: bool, today: date,
             zone: tzinfo = VIETNAM) -> Standing:
    late = update is not None and due is not None and update.created_at >= _day_after_in_utc(due, zone)
    return standing_of(update.status if update is not None else None, late, due, waiting, today)


def standing_of(status: str | None, late: bool, due: date | None, waiting: bool, today: date) -> Standing:
    """The rule itself, on what it looks at: the status in force (None: nothing reported), whether it was
    sent after the day of `due`, the deadline measured against, whether the task waits for an event."""
    if status == Status.NOT_ARISEN:
        return Standing.NOT_ARISEN
    if status == Status.DONE:
        return Standing.DONE_LATE if late else Standing.DONE_ON_TIME
    if waiting:
        return Standing.AWAITING_EVENT
    return Standing.OVERDUE if due is not None and due < today else Standing.PENDING


@lru_cache(maxsize=4096)
def _day_after_in_utc(day: date, zone: tzinfo) -> datetime:
    """The first moment (naive UTC, as stored) that is no longer `day` in the province: done from then is late."""
    day = min(day, LAST_DAY)
    return (datetime.combine(day + timedelta(days=1), time(), zone).astimezone(timezone.utc).replace(tzinfo=None))


def year_of(session: Session, year: int, today: date, unit_ids: set[int] | None = None,
            zone: tzinfo = VIETNAM, plan_ids: set[int] | None = None) -> list[AssignmentYear]:
    """Every active assignment of the year (of the given units, of the given plans), in the plans' order, then
    by unit name."""
    tasks = {task_id: t for task_id, t in task_years(session, year).items()
             if t.active and (plan_ids is None or t.task.plan_id in plan_ids)}
    units = units_by_id(session, unit_ids, year)
    rows = [row for row in rows_of(session, _ASSIGNED if unit_ids is None else _ASSIGNED_TO,
                                   {"tasks": list(tasks), "units": list(unit_ids or ())}) if row[1] in units]
    in_force = updates_in_force(session, str(year), unit_ids)
    extensions = approved_extensions(session, str(year))
    order = {task_id: n for n, task_id in enumerate(tasks)}
    binding: dict[tuple[int, str, date | None], tuple[tuple[Deadline, ...], date | None]] = {}
    found = []
    for assignment_id, unit_id, task_id, role in sorted(rows, key=lambda r: (order[r[2]], units[r[1]].name)):
        task_year = tasks[task_id]
        until = extensions.get(assignment_id)
        key = (task_id, role, until)  # thousands of units share a few: worked out once each
        if key not in binding:
            deadlines = extended(task_year.binding(role), until)
            binding[key] = deadlines, measured_against(deadlines)
        deadlines, due = binding[key]
        update = in_force.get(assignment_id)
        found.append(AssignmentYear(assignment_id, units[unit_id], task_year.task, role, deadlines,
                                    task_year.waits_for_event, update,
                                    standing(update, due, task_year.waits_for_event, today, zone), until))
    return found


class Assigned(NamedTuple):
    """A unit's active task of the year, without its standing: what a list of tasks to pick from needs."""

    assignment_id: int
    task: Task
    role: str

    @property
    def is_lead(self) -> bool:
        return self.role == AssignmentRole.LEAD


def unit_assignments(session: Session, unit_id: int, year: int) -> list[Assigned]:
    """The unit's active assignments in unit_year's order (lead tasks first, each group in the plans' order),
    without reading updates, extensions or standings: the progress form's task list, read at every /capnhat."""
    if not units_by_id(session, {unit_id}, year):  # not formed yet, or merged away: it has no tasks that year
        return []
    tasks = {task_id: t for task_id, t in task_years(session, year).items() if t.active}
    order = {task_id: n for n, task_id in enumerate(tasks)}
    rows = rows_of(session, _ASSIGNED_TO, {"tasks": list(tasks), "units": [unit_id]})
    found = [Assigned(assignment_id, tasks[task_id].task, role)
             for assignment_id, _, task_id, role in sorted(rows, key=lambda r: order[r[2]])]
    return sorted(found, key=lambda a: not a.is_lead)


def units_by_id(session: Session, unit_ids: set[int] | None = None, year: int | None = None) -> dict[int, UnitRef]:
    """The given units (every unit: None) as the views name them: today, or, given a year, those that answer for
    it under the name they bore then (jobs/units.py)."""
    found = {}
    for unit_id, code, name, kind, aliases, former, began_on, ended_on in rows_of(
            session, _UNITS if unit_ids is None else _UNITS_GIVEN, {"units": list(unit_ids or ())}):
        if year is not None:
            if not answers_for(year, began_on, ended_on):
                continue
            if former and former != "[]":
                name = name_on(year_close(year), name, json.loads(former))
        found[unit_id] = UnitRef(unit_id, code, name, kind, aliases)
    return found


def rows_of(session: Session, query: Any, params: dict[str, Any] | None = None) -> list[Any]:
    """Plain rows of a column query, past the ORM's per-row work (half the time of a national year's reads);
    what the session holds unsaved is flushed first, as the ORM would."""
    session.flush()
    return list(session.connection().execute(query, params or {}).all())


@dataclass(frozen=True, slots=True)
class StandingCount:
    """How many assignments of a task stand one way, reported on or not."""

    task: Task
    standing: Standing
    reported: bool
    count: int


def year_counts(session: Session, year: int, today: date, zone: tzinfo = VIETNAM,
                plan_ids: set[int] | None = None) -> list[StandingCount]:
    """year_of's standings, counted by the database instead of read one by one: assignments that share a task,
    a role, an extension date, a status in force and its lateness stand alike, so each such group is stood
    once, by the same rule. A national year's 150,000 assignments make a few hundred groups."""
    tasks = {task_id: t for task_id, t in task_years(session, year).items()
             if t.active and (plan_ids is None or t.task.plan_id in plan_ids)}
    if not tasks:
        return []
    period = str(year)
    extension = (select(Extension.assignment_id, func.max(Extension.until).label("until"))
                 .where(Extension.period == period, Extension.state == ExtensionState.APPROVED)
                 .group_by(Extension.assignment_id).subquery())
    present = present_in(session, year)
    granted = rows_of(session, select(Assignment.task_id, Assignment.role, extension.c.until).distinct()
                      .join(extension, extension.c.assignment_id == Assignment.id).where(present))
    due: dict[tuple[int, str, date | None], date | None] = {}
    for task_id, role, until in [(t, r, None) for t in tasks for r in AssignmentRole] + list(granted):
        if task_id in tasks:
            due[(task_id, role, until)] = measured_against(extended(tasks[task_id].binding(role), until))
    cutoff = case(*[(and_(Assignment.task_id == task_id, Assignment.role == role,
                          extension.c.until.is_(None) if until is None else extension.c.until == until),
                     literal(_day_after_in_utc(day, zone), DateTime()))
                    for (task_id, role, until), day in due.items() if day is not None], else_=null())
    late = func.coalesce(ProgressUpdate.created_at >= cutoff, False).label("late")
    returned = func.coalesce(ProgressUpdate.review_state == ReviewState.RETURNED, False).label("returned")
    groups = rows_of(session, select(Assignment.task_id, Assignment.role, extension.c.until, ProgressUpdate.status,
                                     late, returned, func.count())
                     .outerjoin(UpdateInForce, and_(col(UpdateInForce.assignment_id) == Assignment.id,
                                                    UpdateInForce.period == period))
                     .outerjoin(ProgressUpdate, col(ProgressUpdate.id) == UpdateInForce.progress_update_id)
                     .outerjoin(extension, extension.c.assignment_id == Assignment.id)
                     .where(col(Assignment.task_id).in_(tasks), present)
                     .group_by(Assignment.task_id, Assignment.role, extension.c.until, ProgressUpdate.status, late,
                               returned))
    return [StandingCount(tasks[task_id].task, standing_of(status, bool(is_late), due[(task_id, role, until)],
                                                           tasks[task_id].waits_for_event, today),
                          status is not None and not is_returned, count)
            for task_id, role, until, status, is_late, is_returned, count in groups]


def present_in(session: Session, year: int) -> Any:
    """The condition on `Assignment` that keeps the units answering for the year (jobs/units.py), for the views
    the database counts: year_of leaves the same units out as it reads them."""
    absent = absent_in(session, year)
    return col(Assignment.unit_id).not_in(absent) if absent else true()


def approved_extensions(session: Session, period: str) -> dict[int, date]:
    """The latest date each assignment was granted for the period."""
    rows = rows_of(session, _EXTENSIONS, {"period": period})
    found: dict[int, date] = {}
    for assignment_id, until in rows:
        found[assignment_id] = max(until, found.get(assignment_id, until))
    return found


def unit_year(session: Session, unit_id: int, year: int, today: date, zone: tzinfo = VIETNAM) -> list[AssignmentYear]:
    """A unit's active assignments, lead tasks first, each group in the plan's order."""
    return sorted(year_of(session, year, today, {unit_id}, zone), key=lambda a: not a.is_lead)


def submissions(*extra: Any) -> Any:
    """A query of updates as Submission's columns (then `extra`), with their authors and reviewers."""
    reviewer = aliased(Member)
    return (select(ProgressUpdate.id, ProgressUpdate.assignment_id, ProgressUpdate.status, ProgressUpdate.percent,
                   ProgressUpdate.result, cast(ProgressUpdate.figures, Text), ProgressUpdate.difficulties,
                   ProgressUpdate.channel, ProgressUpdate.created_at, Member.display_name,
                   ProgressUpdate.review_state, ProgressUpdate.review_note, reviewer.display_name,
                   ProgressUpdate.reviewed_at, *extra)
            .join(Member, col(Member.id) == ProgressUpdate.member_id)
            .outerjoin(reviewer, col(reviewer.id) == ProgressUpdate.reviewed_by_member_id))


SUBMISSION_FIELDS = 14
_IN_FORCE = (submissions().join(UpdateInForce, col(UpdateInForce.progress_update_id) == ProgressUpdate.id)
             .where(UpdateInForce.period == bindparam("period")))
_IN_FORCE_OF_UNITS = _IN_FORCE.join(Assignment, col(Assignment.id) == UpdateInForce.assignment_id).where(
    col(Assignment.unit_id).in_(bindparam("units", expanding=True)))


def updates_in_force(session: Session, period: str, unit_ids: set[int] | None = None) -> dict[int, Submission]:
    """The update in force of each assignment in the period, by assignment id: one join, no ranking."""
    query = _IN_FORCE if unit_ids is None else _IN_FORCE_OF_UNITS
    return {row[1]: Submission._make(row)
            for row in rows_of(session, query, {"period": period, "units": list(unit_ids or ())})}


def save_update(session: Session, update: ProgressUpdate) -> ProgressUpdate:
    """Stores a new update, in the caller's transaction, and puts it in force unless Sở KH&CN has accepted
    an earlier one. The row is locked (PostgreSQL), so two officers of a unit saving at once leave the later
    one in force."""
    session.add(update)
    session.flush()
    session.execute(_putting_in_force(session.get_bind().dialect.name), {
        "assignment_id": update.assignment_id, "period": update.period, "progress_update_id": update.id})
    current = _in_force_row(session, update.assignment_id, update.period)
    if current.progress_update_id != update.id:
        shown = session.get(ProgressUpdate, current.progress_update_id)
        if shown is None or (shown.review_state != ReviewState.ACCEPTED
                             and (shown.created_at, shown.id or 0) < (update.created_at, update.id or 0)):
            current.progress_update_id = update.id or 0
            session.add(current)
    session.flush()
    return update


def accept_update(session: Session, update: ProgressUpdate) -> None:
    """Sở KH&CN accepted it: it is in force from now on, whatever the unit sends later."""
    current = _in_force_row(session, update.assignment_id, update.period)
    current.progress_update_id = update.id or 0
    session.add(current)
    session.flush()


@lru_cache(maxsize=2)
def _putting_in_force(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING of an assignment's row in update_in_force, built once per database kind."""
    return upsert_insert_for(dialect, UpdateInForce).on_conflict_do_nothing(index_elements=["assignment_id", "period"])


# Run at every update saved: built once.
_IN_FORCE_UPDATE = select(ProgressUpdate).join(
    UpdateInForce, col(UpdateInForce.progress_update_id) == ProgressUpdate.id).where(
    col(UpdateInForce.assignment_id) == bindparam("assignment"), col(UpdateInForce.period) == bindparam("period"))
_IN_FORCE_ROW = select(UpdateInForce).where(
    col(UpdateInForce.assignment_id) == bindparam("assignment"), col(UpdateInForce.period) == bindparam("period")
).with_for_update()


def in_force(session: Session, assignment_id: int, period: str, state: ReviewState | None = None
             ) -> ProgressUpdate | None:
    """The update in force of one assignment (only if its review is in `state`, when given)."""
    update = session.exec(_IN_FORCE_UPDATE, params={"assignment": assignment_id, "period": period}).first()
    return update if update is not None and (state is None or update.review_state == state) else None


def _in_force_row(session: Session, assignment_id: int, period: str) -> UpdateInForce:
    return session.exec(_IN_FORCE_ROW, params={"assignment": assignment_id, "period": period}).one()


def local_day(moment: datetime, zone: tzinfo = VIETNAM) -> date:
    """The province's date of a stored (naive UTC) moment."""
    return moment.replace(tzinfo=timezone.utc).astimezone(zone).date()
