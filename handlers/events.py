"""/sukien: a manager records that the event an event-triggered task waits for has happened
("sau khi Trung ương ban hành Đề án"), and how many days the units have from then."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlmodel import Session, col, select

from handlers.machinery import audit
from handlers.machinery.context import Context
from handlers.machinery.messages import Reply
from jobs.year import event_triggered
from jobs.text import fold
from models import Event, Task

MAX_DAYS = 366
_ARGS = re.compile(r"^\s*(\S+)\s+(\d{1,4})(?:\s+(\d{1,2})/(\d{1,2})/(\d{4}))?\s*(.*)$")


def event_tasks(session: Session) -> list[Task]:
    tasks = session.exec(select(Task).order_by(col(Task.plan_id), col(Task.position))).all()
    return [t for t in tasks if event_triggered(t)]


def record_event(session: Session, task: Task, occurred_on: date, days: int, member_id: int | None,
                 note: str = "") -> Event:
    event = Event(task_id=task.id, occurred_on=occurred_on, days_allowed=days, note=note,
                  recorded_by_member_id=member_id)
    session.add(event)
    session.flush()
    audit.record(session, f"member:{member_id}" if member_id else audit.CLI, "event.recorded", f"event:{event.id}",
                 task=task.code, occurred_on=occurred_on.isoformat(), days=days)
    return event


def handle(ctx: Context, args: str) -> list[Reply]:
    tasks = {fold(t.code): t for t in event_tasks(ctx.session)}
    match = _ARGS.match(args)
    if not match:
        return [Reply(_usage(ctx, list(tasks.values())))]
    code, days, day, month, year, note = match.groups()
    task = tasks.get(fold(code))
    if task is None:
        return [Reply(ctx.lang._("{code} is not a task that waits for an event.", code=code[:20])),
                Reply(_usage(ctx, list(tasks.values())))]
    if not 1 <= int(days) <= MAX_DAYS:
        return [Reply(ctx.lang._("The number of days must be between 1 and {max}.", max=MAX_DAYS))]
    try:
        occurred = date(int(year), int(month), int(day)) if year else ctx.today
    except ValueError:
        return [Reply(ctx.lang._("That date does not exist. Write it as dd/mm/yyyy."))]
    event = record_event(ctx.session, task, occurred, int(days), ctx.member.id, note.strip()[:500])
    due = event.occurred_on + timedelta(days=event.days_allowed)
    return [Reply(ctx.lang._("Recorded: the event for task {code} happened on {date}; the units have {days} days, "
                             "until {due}. Reminders will follow that deadline.", code=task.code,
                             date=ctx.lang.date(event.occurred_on), days=days,
                             due=ctx.lang.date(due)))]


def _usage(ctx: Context, tasks: list[Task]) -> str:
    lines = [ctx.lang._("To record an event: /sukien CODE DAYS [dd/mm/yyyy]. For example: /sukien III.3 30\n"
                        "Tasks that wait for an event:")]
    lines += [f"• {t.code}: {t.schedule_text}" for t in tasks]
    return "\n".join(lines)
