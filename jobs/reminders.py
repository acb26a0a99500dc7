"""What falls due when: every unit's deadlines in a year, and which reminders a given day calls for.

The day is a parameter, never the wall clock, so tests and `simulate` can move through a year.

Which deadlines bind which unit is jobs/year.py's to say; this module groups them by unit and day and applies
the reminder policy.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlmodel import Session, col, select

from jobs.calendar import CALENDAR, WorkingCalendar
from jobs.policy import DEFAULT_POLICY, ReminderPolicy
from jobs.schedule import RuleKind
from jobs.review import finished_awaiting_review, returned_submissions
from jobs.year import local_day, units_by_id, year_of
from models import Absence, AnnualReport, ChannelAccount, Member
from models.organisation import Role
PUSH_CHANNELS = ("telegram", "zalo")  # the console cannot be reached when nobody sits at it


@dataclass(frozen=True)
class UnitDeadline:
    unit_id: int
    key: str  # stable identity of the deadline, part of every reminder's unique key
    due: date
    kind: RuleKind  # ANNUAL for the annual report, ONCE for a dated deadline of lead tasks
    task_codes: tuple[str, ...]  # the tasks still open
    met: bool
    returned: str = ""  # for a submission Sở KH&CN returned: "u12" (update no. 12) or "a5" (annual report no. 5)


@dataclass(frozen=True)
class Recipient:
    member_id: int
    unit_id: int
    name: str
    language: str
    channel: str
    chat_id: str


NOBODY = Recipient(0, 0, "", "vi", "", "")  # who a reminder would reach in a unit nobody registered in


@dataclass(frozen=True)
class DueReminder:
    deadline: UnitDeadline
    stage: str
    recipient: Recipient
    sent_on: date | None = None  # the working day it goes out: a stage of a deadline on a day off comes earlier

    @property
    def key(self) -> str:
        return f"reminder:{self.recipient.member_id}:{self.deadline.key}:{self.stage}"


def unit_deadlines(session: Session, year: int, today: date, unit_ids: set[int] | None = None, *,
                   plan_ids: set[int] | None = None) -> list[UnitDeadline]:
    """Every deadline of `year` that binds a unit (or the given ones), whether met or not, as jobs/year.py
    says what binds whom.

    A unit's dated deadlines due the same day make one deadline, so a unit gets one message a day, not one
    per task; a dated deadline is met once each of its tasks is done (or nothing arose), in force or sent and
    awaiting review. The annual report
    is met once the unit has submitted it (/baocaonam), or has reported on every task of the year.
    """
    dated: dict[tuple[int, date], list[tuple[str, bool]]] = defaultdict(list)
    annual: dict[tuple[int, date], list[tuple[str, bool]]] = defaultdict(list)
    answered = finished_awaiting_review(session, str(year), unit_ids)
    for item in sorted(year_of(session, year, today, unit_ids, plan_ids=plan_ids), key=lambda a: a.unit.id or 0):
        for deadline in item.deadlines:
            if deadline.kind is RuleKind.ANNUAL:  # one a date: plans, or an extension, may set others
                annual[(item.unit.id or 0, deadline.due)].append((item.task.code, item.reported))
            else:
                done = item.finished or item.assignment_id in answered  # what it sent awaits review: not chased
                dated[(item.unit.id or 0, deadline.due)].append((item.task.code, done))
    found = [_deadline(unit_id, f"due:{unit_id}:{due.isoformat()}", due, RuleKind.ONCE, codes)
             for (unit_id, due), codes in dated.items()]
    submitted = set(session.exec(select(AnnualReport.unit_id).where(AnnualReport.period == str(year))).all())
    for (unit_id, due), codes in annual.items():
        deadline = _deadline(unit_id, f"annual:{unit_id}:{due.isoformat()}", due, RuleKind.ANNUAL, codes)
        found.append(replace(deadline, met=True) if unit_id in submitted else deadline)
    return found


def returned_deadlines(session: Session, year: int, unit_ids: set[int] | None, policy: ReminderPolicy,
                       calendar: WorkingCalendar, plan_ids: set[int] | None = None) -> list[UnitDeadline]:
    """A returned submission not yet sent again is due `policy.return_working_days` working days after the
    return: an update still in force, or the unit's newest annual report (which belongs to no one plan)."""
    found = []
    for unit_id, code, returned, at in returned_submissions(session, str(year), unit_ids, plan_ids):
        due = policy.resubmit_by(local_day(at), calendar)
        found.append(UnitDeadline(unit_id, f"return:{unit_id}:{returned}", due, RuleKind.ONCE, (code,), False,
                                  returned))
    return found


def deadlines_of(session: Session, year: int, today: date, unit_ids: set[int] | None, policy: ReminderPolicy,
                 calendar: WorkingCalendar, plan_ids: set[int] | None = None) -> list[UnitDeadline]:
    return (unit_deadlines(session, year, today, unit_ids, plan_ids=plan_ids)
            + returned_deadlines(session, year, unit_ids, policy, calendar, plan_ids))


def _deadline(unit_id: int, key: str, due: date, kind: RuleKind, tasks: list[tuple[str, bool]]) -> UnitDeadline:
    """The tasks listed are the ones still open; the deadline is met when none is."""
    open_codes = tuple(code for code, done in tasks if not done)
    return UnitDeadline(unit_id, key, due, kind, open_codes, not open_codes)


def officers(session: Session, unit_ids: set[int] | None = None, role: Role | None = Role.OFFICER
             ) -> dict[int, list[Recipient]]:
    """Reachable members of each unit with the given role (any role: None), by unit: each on the channel they
    used last, so a member on both Telegram and Zalo is reminded once."""
    rows = session.exec(
        select(Member.id, Member.unit_id, Member.display_name, Member.language, ChannelAccount.channel,
               ChannelAccount.chat_id)
        .join(ChannelAccount, col(ChannelAccount.member_id) == Member.id)
        .where(True if role is None else Member.role == role, col(ChannelAccount.blocked).is_(False),
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


def recipients_on(session: Session, day: date, unit_ids: set[int] | None = None) -> dict[int, list[Recipient]]:
    """Who receives a unit's reminders on `day`: its officers, except those away (/vangmat), whose reminders go
    to the colleague they named, or, without one, to the unit's other members. A unit whose every officer is
    away with nobody to cover has an empty list (the managers' digest names it)."""
    present = officers(session, unit_ids)
    away = {a.member_id: a.delegate_member_id for a in session.exec(select(Absence).where(col(Absence.until) >= day))}
    if not away:
        return present
    everyone = officers(session, set(present), role=None)
    by_id = {r.member_id: r for people in everyone.values() for r in people}
    found: dict[int, list[Recipient]] = defaultdict(list)
    for unit_id, people in present.items():
        chosen = {r.member_id: r for r in people if r.member_id not in away}
        for r in people:
            delegate = away.get(r.member_id)
            if r.member_id in away and delegate in by_id and delegate not in away:
                chosen.setdefault(delegate, by_id[delegate])
        if not chosen:
            chosen = {r.member_id: r for r in everyone.get(unit_id, []) if r.member_id not in away}
        found[unit_id] = list(chosen.values())
    return found


def due_on(session: Session, day: date, policy: ReminderPolicy, calendar: WorkingCalendar,
           unit_ids: set[int] | None = None, unregistered: bool = False,
           plan_ids: set[int] | None = None) -> list[DueReminder]:
    """The reminders the policy sends on `day`: nothing on a day off, nothing for a deadline already met.

    Deadlines of last year are looked at too: their overdue reminders run into January. With `unregistered`,
    a unit nobody can receive for gets its reminders addressed to NOBODY (for `simulate`).
    """
    if not calendar.is_working_day(day):
        return []
    recipients = {unit: people for unit, people in recipients_on(session, day, unit_ids).items() if people}
    found: list[DueReminder] = []
    stages: dict[date, dict[date, str]] = {}  # by due date: thousands of units share a few deadlines
    for year in (day.year - 1, day.year):
        for deadline in deadlines_of(session, year, day, unit_ids if unregistered else set(recipients), policy,
                                     calendar, plan_ids):
            if unregistered and deadline.unit_id not in recipients:
                recipients[deadline.unit_id] = [replace(NOBODY, unit_id=deadline.unit_id)]
            if deadline.met or deadline.unit_id not in recipients:
                continue
            if deadline.due not in stages:
                stages[deadline.due] = dict(policy.stages(deadline.due, calendar))
            stage = stages[deadline.due].get(day)
            if stage is not None:
                found.extend(DueReminder(deadline, stage, r, day) for r in recipients[deadline.unit_id])
    return found


def open_years(session: Session, unit_id: int, today: date, policy: ReminderPolicy = DEFAULT_POLICY,
               calendar: WorkingCalendar = CALENDAR) -> list[int]:
    """The years a unit may still record, oldest first: this one (unless the unit no longer answers for it,
    jobs/units.py), and last year while one of its deadlines binding the unit is unmet and still reminded (an
    overdue deadline is reminded `overdue_for_days`; a return has its own date): whatever a reminder of last year
    asks for — its annual report, a task, a revision — can then be done, and only then is the officer asked which
    year."""
    last = today.year - 1
    chased = [deadline for deadline in deadlines_of(session, last, today, {unit_id}, policy, calendar)
              if not deadline.met and today <= deadline.due + timedelta(days=policy.overdue_for_days)]
    this = [today.year] if units_by_id(session, {unit_id}, today.year) else []  # none once merged away
    return [last, *this] if chased else this


def upcoming(session: Session, unit_id: int, today: date, policy: ReminderPolicy, calendar: WorkingCalendar,
             limit: int = 5) -> list[tuple[date, str, UnitDeadline]]:
    """The unit's next reminders from today on, for /nhacnho."""
    found = []
    for year in (today.year - 1, today.year, today.year + 1):
        for deadline in deadlines_of(session, year, today, {unit_id}, policy, calendar):
            if deadline.met:
                continue
            found += [(day, stage, deadline) for day, stage in policy.stages(deadline.due, calendar) if day >= today]
    return sorted(found, key=lambda item: (item[0], item[2].key))[:limit]

