"""What the bot says on its own, not in answer to a message: reminders before and after deadlines, the
managers' weekly digest of what stands overdue, and the kick-off list of a unit's tasks. `scan` writes what is
due at a moment to the outbox; `preview` returns the same messages without writing, for `simulate`."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import date, datetime, timedelta

from collections.abc import Callable
from sqlmodel import Session, col, select

from handlers.assignments import know_unit_year
from handlers.machinery.context import Context
from handlers.my_tasks import show as list_tasks
from handlers.onboarding import OnBoard, expiring_text, headline, nobody_text, on_board
from handlers.machinery.outbox import OutgoingMessage, enqueue, existing_keys
from jobs.calendar import WorkingCalendar
from jobs.deadlines import recorded_events
from jobs.policy import ReminderPolicy
from jobs.reminders import PUSH_CHANNELS, DueReminder, due_on, officers, recipients_on
from jobs.year import AssignmentYear, Standing, UnitRef, rows_of, units_by_id, year_of
from jobs.schedule import RuleKind
from locales import Lang, lang
from models import AnnualReport, Assignment, ChannelAccount, Member, Outbox, Plan, Task, Unit
from models.organisation import Role

MAX_CODES = 12
MANY_UNITS = 500  # past this many, the kick-off reads the whole year rather than list the units


def scan(session: Session, now: datetime, policy: ReminderPolicy, calendar: WorkingCalendar) -> int:
    """Writes to the outbox what is due at `now`; returns how many new messages. Safe to run any number of
    times: a message already written is not written again."""
    return enqueue(session, preview(session, now, policy, calendar))


def preview(session: Session, now: datetime, policy: ReminderPolicy, calendar: WorkingCalendar,
            unit_ids: set[int] | None = None, unregistered: bool = False,
            plan_ids: set[int] | None = None) -> list[OutgoingMessage]:
    """What the cycle at `now` would write. With `unregistered`, the reminders of units nobody has registered
    in yet too, addressed to member 0: never written, shown by `simulate` so an admin sees every calendar.
    With `plan_ids`, only those plans' reminders (the digest and the task lists span every plan)."""
    today = now.date()
    if not calendar.is_working_day(today) or not policy.in_office_hours(now.time()):
        return []
    due = due_on(session, today, policy, calendar, unit_ids, unregistered, plan_ids)
    messages = reminder_messages(session, due)
    if plan_ids is not None:
        return messages
    if policy.is_digest_day(today, calendar):
        messages += digest_messages(session, today)
    return messages + kickoff_messages(session, now, unit_ids)


def simulate(session: Session, start: date, end: date, policy: ReminderPolicy, calendar: WorkingCalendar,
             unit_ids: set[int] | None = None, unregistered: bool = False, plan_ids: set[int] | None = None,
             on_day: Callable[[date], None] | None = None) -> list[tuple[date, OutgoingMessage]]:
    """What the daily cycle would write, day by day, if nobody reported meanwhile. Nothing is written.
    `on_day` is told each day done (the command line's progress bar)."""
    seen = set(session.exec(select(Outbox.key)).all())
    found: list[tuple[date, OutgoingMessage]] = []
    day = start
    while day <= end:
        for message in preview(session, datetime.combine(day, policy.scan_at), policy, calendar, unit_ids,
                               unregistered, plan_ids):
            if message.key not in seen and (unit_ids is None or message.kind != "digest"):
                seen.add(message.key)
                found.append((day, message))
        if on_day is not None:
            on_day(day)
        day += timedelta(days=1)
    return found


def reminder_messages(session: Session, due: list[DueReminder]) -> list[OutgoingMessage]:
    units = units_by_id(session) if due else {}  # every unit: one light read, never a list of thousands of ids
    return [OutgoingMessage(d.key, "reminder", d.recipient.member_id, d.recipient.channel, d.recipient.chat_id,
                            reminder_text(lang(d.recipient.language), d, units[d.deadline.unit_id].name),
                            d.deadline.unit_id)
            for d in due]


def reminder_text(speak: Lang, due: DueReminder, unit: str) -> str:
    deadline = due.deadline
    when = speak.date(deadline.due)
    # A deadline on a day off stays as the plan wrote it; its reminders come on the working day before, and
    # say the true number of days (docs/skhcn.md: "Deadlines on a day off").
    left = (deadline.due - due.sent_on).days if due.sent_on else int(due.stage[7:] or 0) if due.stage != "due" else 0
    if due.stage == "due" and left <= 0:
        head = speak._("Reminder: today, {date}, is the deadline.", date=when)
    elif due.stage == "due" or due.stage.startswith("before-"):
        head = speak._("Reminder: the deadline is {date}; {days} day(s) left.", date=when, days=left)
    else:
        head = speak._("Overdue: the deadline was {date}.", date=when)
    codes = codes_text(deadline.task_codes)
    if deadline.returned:
        annual = speak._("annual report")  # a returned annual report has no task code
        body = speak._("What Sở KH&CN returned to {unit} ({codes}) is to be revised and sent again by {date}: "
                       "/sualai {ref}", unit=unit, codes=codes.replace("annual", annual), date=when,
                       ref=deadline.returned)
    elif deadline.kind is RuleKind.ANNUAL:
        body = speak._("The annual report of {unit} to Sở KH&CN is due by {date}. Tasks not yet reported "
                       "this year: {codes}.\nReport each one with /capnhat.", unit=unit, date=when, codes=codes)
    else:
        body = speak._("Tasks of {unit} due: {codes}.\nOnce a task is done, report it: /capnhat {code}",
                       unit=unit, codes=codes, code=deadline.task_codes[0])
    return f"{head}\n{body}"


def codes_text(codes: tuple[str, ...]) -> str:
    shown = ", ".join(codes[:MAX_CODES])
    return shown + (f" (+{len(codes) - MAX_CODES})" if len(codes) > MAX_CODES else "")


def digest_messages(session: Session, today: date) -> list[OutgoingMessage]:
    """One message a week to each manager: the assignments that stand overdue, by unit, and who cannot be
    reached."""
    managers = [m for members in officers(session, role=Role.MANAGER).values() for m in members]
    if not managers:
        return []
    years = {year: year_of(session, year, today) for year in (today.year - 1, today.year)}
    overdue = [row for rows in years.values() for row in rows if row.standing is Standing.OVERDUE]
    annual = annual_missing(session, years[today.year], today)
    unreachable = _unreachable(session)
    uncovered = [unit for unit, people in recipients_on(session, today).items() if not people]
    units = units_by_id(session)
    week = today.isocalendar()
    board = on_board(session)
    return [OutgoingMessage(f"digest:{m.member_id}:{week.year}-W{week.week:02d}", "digest", m.member_id, m.channel,
                            m.chat_id, digest_text(lang(m.language), today, overdue, unreachable, units, uncovered,
                                                   board, annual), m.unit_id)
            for m in managers]


ANNUAL_WINDOW = timedelta(days=30)  # the digests of the month before the annual report is due name who is missing
MAX_NAMED = 40


def annual_missing(session: Session, rows: list[AssignmentYear], today: date) -> tuple[date, list[UnitRef]] | None:
    """Within ANNUAL_WINDOW of the year's annual report deadline: the day, and the units that owe the report and
    have not sent it."""
    due = min((d.due for row in rows for d in row.deadlines if d.kind is RuleKind.ANNUAL and d.due >= today),
              default=None)
    if due is None or due - today > ANNUAL_WINDOW:
        return None
    sent = set(session.exec(select(AnnualReport.unit_id).where(AnnualReport.period == str(today.year))).all())
    owing = {row.unit.id: row.unit for row in rows if row.unit.id not in sent}
    return due, sorted(owing.values(), key=lambda unit: unit.name)


def digest_text(speak: Lang, today: date, overdue: list[AssignmentYear], unreachable: dict[int, list[str]],
                units: dict[int, UnitRef], uncovered: list[int] | None = None, board: OnBoard | None = None,
                annual: tuple[date, list[UnitRef]] | None = None) -> str:
    late: dict[int, dict[date, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in overdue:
        late[row.unit.id or 0][row.due or today].append(row.task.code)
    lines = [speak._("Overdue digest, {date}: {n} units have overdue tasks.", date=speak.date(today), n=len(late))]
    for unit_id in sorted(late, key=lambda u: units[u].name):
        items = [speak._("{codes} (due {date})", codes=codes_text(tuple(codes)), date=speak.date(due))
                 for due, codes in sorted(late[unit_id].items())]
        lines.append(f"• {units[unit_id].name}: " + "; ".join(items))
    if unreachable:
        lines.append(speak._("Members who blocked the bot and receive nothing:"))
        lines += [f"• {units[unit_id].name}: " + ", ".join(names) for unit_id, names in unreachable.items()]
    if uncovered:
        lines.append(speak._("Units with no one reachable (every officer away, nobody covering):"))
        lines += sorted(f"• {units[unit_id].name}" for unit_id in uncovered)
    if annual is not None and annual[1]:
        due, owing = annual
        lines += ["", speak._("Annual report not received yet (due {date}): {n} units.", date=speak.date(due),
                              n=len(owing))]
        lines += [f"• {unit.name}" for unit in owing[:MAX_NAMED]]
        if len(owing) > MAX_NAMED:
            lines.append(speak._("… and {n} more (see /baocao xlsx).", n=len(owing) - MAX_NAMED))
    if board is not None:  # who is on board, apart from who has not reported
        lines += ["", headline(speak, board)]
        if board.nobody:
            lines.append(nobody_text(speak, board))
        if board.expiring:
            lines.append(expiring_text(speak, board))
    return "\n".join(lines)


def _unreachable(session: Session) -> dict[int, list[str]]:
    rows = session.exec(select(Member.unit_id, Member.id).join(ChannelAccount, col(ChannelAccount.member_id) == Member.id)
                        .where(col(ChannelAccount.blocked).is_(True)).order_by(col(Member.id))).all()
    found: dict[int, list[str]] = defaultdict(list)
    for unit_id, member_id in rows:
        found[unit_id].append(f"#{member_id}")
    return found


def kickoff_messages(session: Session, now: datetime, unit_ids: set[int] | None = None) -> list[OutgoingMessage]:
    """Each member's unit's task list for the year: once a year, and again when the plan's tasks, who does
    them or an event's deadline change. Only members who have not had this year's list are looked at: when
    nothing changed, the daily scan reads their ids and the keys, nothing more. The year is read once for all
    of their units, and each unit's list worded once per language: members of a unit get the same list."""
    stamp = plan_stamp(session, now.year)
    reachable = (select(Member, Unit, ChannelAccount).join(Unit, col(Unit.id) == Member.unit_id)
                 .join(ChannelAccount, col(ChannelAccount.member_id) == Member.id)
                 .where(col(ChannelAccount.blocked).is_(False), col(ChannelAccount.channel).in_(PUSH_CHANNELS),
                        True if unit_ids is None else col(Unit.id).in_(unit_ids)))
    first_keys = {f"{_kickoff_key(member_id, now.year, stamp)}:1": member_id
                  for (member_id,) in rows_of(session, reachable.with_only_columns(Member.id))}
    sent = existing_keys(session, list(first_keys))
    waiting = {member_id for key, member_id in first_keys.items() if key not in sent}
    if not waiting:
        return []
    members = [found for found in session.exec(reachable).all() if found[0].id in waiting]
    years = _years_by_unit(session, now, {unit.id or 0 for _, unit, _ in members})
    plans = {plan.id: plan for plan in session.exec(select(Plan))}
    worded: dict[tuple[int, str], list[str]] = {}
    messages: list[OutgoingMessage] = []
    for member, unit, account in members:
        key = (unit.id or 0, member.language)
        if key not in worded:
            ctx = Context(session, member, unit, lang(member.language), now, account.channel)
            items = years.get(unit.id or 0, [])
            know_unit_year(ctx, items, [plans[i] for i in sorted({item.task.plan_id for item in items})])
            worded[key] = [reply.text for reply in list_tasks(ctx)]
        messages += kickoff_for(member, unit, account, now.year, stamp, worded[key])
    return messages


def _years_by_unit(session: Session, now: datetime, unit_ids: set[int]) -> dict[int, list[AssignmentYear]]:
    """The year of each of these units, read in one go (all units' when they are many: one read, no long list
    of ids)."""
    found: dict[int, list[AssignmentYear]] = defaultdict(list)
    if unit_ids:
        for row in year_of(session, now.year, now.date(), None if len(unit_ids) > MANY_UNITS else unit_ids):
            found[row.unit.id].append(row)
    return found


def kickoff_for(member: Member, unit: Unit, account: ChannelAccount, year: int, stamp: str,
                texts: list[str]) -> list[OutgoingMessage]:
    key = _kickoff_key(member.id or 0, year, stamp)
    return [OutgoingMessage(f"{key}:{number}", "kickoff", member.id or 0, account.channel, account.chat_id, text,
                            unit.id or 0)
            for number, text in enumerate(texts, start=1)]


def kickoff_on_registering(session: Session, member: Member, unit: Unit, account: ChannelAccount,
                           now: datetime) -> list[OutgoingMessage]:
    """The list a member gets with the welcome, keyed as the scan would key it so that no scan sends it again."""
    texts = [reply.text for reply in list_tasks(Context(session, member, unit, lang(member.language), now,
                                                        account.channel))]
    return kickoff_for(member, unit, account, now.year, plan_stamp(session, now.year), texts)


def _kickoff_key(member_id: int, year: int, stamp: str) -> str:
    return f"kickoff:{member_id}:{year}:{stamp}"


def plan_stamp(session: Session, year: int) -> str:
    """Changes when a task's schedule, an assignment or a recorded event changes; not when units report."""
    digest = hashlib.sha256(str(year).encode())
    for query in (select(Task.id, Task.schedule_rules).order_by(col(Task.id)),
                  select(Assignment.task_id, Assignment.unit_id, Assignment.role).order_by(col(Assignment.id))):
        for row in rows_of(session, query):
            digest.update(repr(tuple(row)).encode())  # as a row's own repr reads, at a fraction of its cost
    digest.update(repr(sorted(recorded_events(session).items())).encode())
    return digest.hexdigest()[:12]
