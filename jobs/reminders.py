"""What falls due when: every unit's deadlines in a year, and which reminders a given day calls for.

The day is a parameter, never the wall clock, so tests and `simulate` can move through a year.

Deadlines reminded: each dated deadline (once, yearly, event) of a unit's lead assignments, and every unit's
annual report. A task deadline is met by a "done" (or "nothing arose") update for that year; the annual report
is met once the unit has submitted it (/baocaonam), or has reported on every task it has that year.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

from sqlmodel import Session, col, select

from jobs.calendar import WorkingCalendar
from jobs.policy import ReminderPolicy
from jobs.deadlines import plan_deadlines, recorded_events
from jobs.schedule import Rule, RuleKind, annual_report_due
from models import AnnualReport, Assignment, ChannelAccount, Member, Plan, ProgressUpdate, Task, Unit
from models.organisation import Role
from models.plan import AssignmentRole
from models.progress import Status

FINISHED = (Status.DONE.value, Status.NOT_ARISEN.value)
PUSH_CHANNELS = ("telegram", "zalo")  # the console cannot be reached when nobody sits at it


@dataclass(frozen=True)
class UnitDeadline:
    unit_id: int
    key: str  # stable identity of the deadline, part of every reminder's unique key
    due: date
    kind: RuleKind  # ANNUAL for the annual report, ONCE for a dated deadline of lead tasks
    task_codes: tuple[str, ...]  # the tasks still open
    met: bool


@dataclass(frozen=True)
class Recipient:
    member_id: int
    unit_id: int
    name: str
    language: str
    channel: str
    chat_id: str


@dataclass(frozen=True)
class DueReminder:
    deadline: UnitDeadline
    stage: str
    recipient: Recipient

    @property
    def key(self) -> str:
        return f"reminder:{self.recipient.member_id}:{self.deadline.key}:{self.stage}"


@dataclass(frozen=True)
class _TaskYear:
    """A task's side of the year, the same for every unit that has it."""

    code: str
    position: tuple[int, int]
    dated: tuple[date, ...]  # lead units' deadlines besides the annual report
    annual_due: date
    active: bool  # has work this year: a deadline, or waits for an event


def _task_years(session: Session, year: int) -> dict[int, _TaskYear]:
    events = recorded_events(session)
    found = {}
    for task, plan in session.exec(select(Task, Plan).join(Plan, col(Plan.id) == Task.plan_id)).all():
        rules = [Rule.from_dict(r) for r in task.schedule_rules]
        month, day = plan.annual_report_month, plan.annual_report_day
        deadlines = plan_deadlines(rules, year, plan.issued_on, events.get(task.id or 0), (month, day))
        annual_due = annual_report_due(year, month, day)
        waiting = any(r.kind is RuleKind.EVENT for r in rules) and annual_due >= (plan.issued_on or date.min)
        found[task.id or 0] = _TaskYear(task.code, (task.plan_id, task.position),
                                        tuple(d.due for d in deadlines if d.kind is not RuleKind.ANNUAL),
                                        annual_due, bool(deadlines) or waiting)
    return found


def unit_deadlines(session: Session, year: int, unit_ids: set[int] | None = None) -> list[UnitDeadline]:
    """Every deadline of `year` for every unit (or the given ones), whether met or not.

    Lead tasks due the same day make one deadline, so a unit gets one message a day, not one per task.
    Deadlines before the plan was issued are not the plan's.
    """
    tasks = _task_years(session, year)
    rows = session.exec(
        select(Assignment.id, Assignment.unit_id, Assignment.role, Assignment.task_id)
        .where(True if unit_ids is None else col(Assignment.unit_id).in_(unit_ids))
    ).all()
    reported = _reported(session, str(year))
    dated: dict[tuple[int, date], list[tuple[str, bool]]] = defaultdict(list)
    annual: dict[tuple[int, date], list[tuple[str, bool]]] = defaultdict(list)
    for assignment_id, unit_id, role, task_id in sorted(rows, key=lambda r: (r[1], tasks[r[3]].position)):
        task = tasks[task_id]
        if not task.active:
            continue  # no work for this task this year
        status = reported.get(assignment_id)
        annual[(unit_id, task.annual_due)].append((task.code, status is not None))
        if role == AssignmentRole.LEAD:
            for due in task.dated:
                dated[(unit_id, due)].append((task.code, status in FINISHED))
    found = [_deadline(unit_id, f"due:{unit_id}:{due.isoformat()}", due, RuleKind.ONCE, codes)
             for (unit_id, due), codes in dated.items()]
    submitted = set(session.exec(select(AnnualReport.unit_id).where(AnnualReport.period == str(year))).all())
    for (unit_id, due), codes in annual.items():
        deadline = _deadline(unit_id, f"annual:{unit_id}:{year}", due, RuleKind.ANNUAL, codes)
        found.append(replace(deadline, met=True) if unit_id in submitted else deadline)
    return found


def _deadline(unit_id: int, key: str, due: date, kind: RuleKind, tasks: list[tuple[str, bool]]) -> UnitDeadline:
    """The tasks listed are the ones still open; the deadline is met when none is."""
    open_codes = tuple(code for code, done in tasks if not done)
    return UnitDeadline(unit_id, key, due, kind, open_codes, not open_codes)


def _reported(session: Session, period: str) -> dict[int, str]:
    """The status in force for each assignment in the period (the newest update supersedes the others)."""
    rows = session.exec(select(ProgressUpdate.assignment_id, ProgressUpdate.status)
                        .where(ProgressUpdate.period == period)
                        .order_by(col(ProgressUpdate.created_at), col(ProgressUpdate.id))).all()
    return dict(rows)


def officers(session: Session, unit_ids: set[int] | None = None, role: Role = Role.OFFICER) -> dict[int, list[Recipient]]:
    """Reachable members of each unit with the given role, by unit: each on the channel they used last, so a
    member on both Telegram and Zalo is reminded once."""
    rows = session.exec(
        select(Member.id, Member.unit_id, Member.display_name, Member.language, ChannelAccount.channel,
               ChannelAccount.chat_id)
        .join(ChannelAccount, col(ChannelAccount.member_id) == Member.id)
        .where(Member.role == role, col(ChannelAccount.blocked).is_(False),
               col(ChannelAccount.channel).in_(PUSH_CHANNELS),
               True if unit_ids is None else col(Member.unit_id).in_(unit_ids))
        .order_by(col(Member.id), col(ChannelAccount.last_seen_at).desc())
    ).all()
    found: dict[int, list[Recipient]] = defaultdict(list)
    seen: set[int] = set()
    for member_id, unit_id, name, language, channel, chat_id in rows:
        if member_id not in seen:
            seen.add(member_id)
            found[unit_id].append(Recipient(member_id, unit_id, name, language, channel, chat_id))
    return found


def due_on(session: Session, day: date, policy: ReminderPolicy, calendar: WorkingCalendar,
           unit_ids: set[int] | None = None) -> list[DueReminder]:
    """The reminders the policy sends on `day`: nothing on a day off, nothing for a deadline already met.

    Deadlines of last year are looked at too: their overdue reminders run into January.
    """
    if not calendar.is_working_day(day):
        return []
    recipients = officers(session, unit_ids)
    found: list[DueReminder] = []
    stages: dict[date, dict[date, str]] = {}  # by due date: thousands of units share a few deadlines
    for year in (day.year - 1, day.year):
        for deadline in unit_deadlines(session, year, set(recipients)):
            if deadline.met or deadline.unit_id not in recipients:
                continue
            if deadline.due not in stages:
                stages[deadline.due] = dict(policy.stages(deadline.due, calendar))
            stage = stages[deadline.due].get(day)
            if stage is not None:
                found.extend(DueReminder(deadline, stage, r) for r in recipients[deadline.unit_id])
    return found


def upcoming(session: Session, unit_id: int, today: date, policy: ReminderPolicy, calendar: WorkingCalendar,
             limit: int = 5) -> list[tuple[date, str, UnitDeadline]]:
    """The unit's next reminders from today on, for /nhacnho."""
    found = []
    for year in (today.year - 1, today.year, today.year + 1):
        for deadline in unit_deadlines(session, year, {unit_id}):
            if deadline.met:
                continue
            found += [(day, stage, deadline) for day, stage in policy.stages(deadline.due, calendar) if day >= today]
    return sorted(found, key=lambda item: (item[0], item[2].key))[:limit]


def units_by_id(session: Session, unit_ids: set[int]) -> dict[int, Unit]:
    return {u.id or 0: u for u in session.exec(select(Unit).where(col(Unit.id).in_(unit_ids)))}
