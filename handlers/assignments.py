"""A unit's tasks in a year, their deadlines and where each stands: the questions every listing asks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from jobs.deadlines import recorded_events, task_deadlines
from jobs.schedule import Deadline, Rule, waits_for_event
from locales import Lang
from models import Assignment, Plan, ProgressUpdate, Task
from models.plan import AssignmentRole
from models.progress import Status
from reports.summary import STATUS_LABELS



@dataclass(frozen=True)
class AssignedTask:
    assignment: Assignment
    task: Task
    deadlines: list[Deadline]
    latest: ProgressUpdate | None

    @property
    def is_lead(self) -> bool:
        return self.assignment.role == AssignmentRole.LEAD

    @property
    def waits_for_event(self) -> bool:
        return not self.deadlines and waits_for_event(rules_of(self.task))


def rules_of(task: Task) -> list[Rule]:
    return [Rule.from_dict(rule) for rule in task.schedule_rules]


def unit_tasks(session: Session, unit_id: int, year: int) -> list[AssignedTask]:
    """The unit's tasks that have a deadline in `year` or wait for an event; lead tasks first, plan order."""
    rows = session.exec(
        select(Assignment, Task, Plan)
        .join(Task, col(Task.id) == Assignment.task_id)
        .join(Plan, col(Plan.id) == Task.plan_id)
        .where(Assignment.unit_id == unit_id)
    ).all()
    latest = latest_updates(session, [a.id for a, _, _ in rows if a.id is not None], str(year))
    events = recorded_events(session)
    found = [AssignedTask(a, t, task_deadlines(t, p, year, events.get(t.id or 0)), latest.get(a.id or 0))
             for a, t, p in rows]
    found = [item for item in found if item.deadlines or item.waits_for_event]
    return sorted(found, key=lambda item: (not item.is_lead, item.task.plan_id, item.task.position))


def latest_updates(session: Session, assignment_ids: list[int], period: str) -> dict[int, ProgressUpdate]:
    """The update in force for each assignment: the newest, since a newer one supersedes older ones."""
    if not assignment_ids:
        return {}
    updates = session.exec(
        select(ProgressUpdate)
        .where(col(ProgressUpdate.assignment_id).in_(assignment_ids), ProgressUpdate.period == period)
        .order_by(col(ProgressUpdate.created_at), col(ProgressUpdate.id))
    ).all()
    return {u.assignment_id: u for u in updates}


def describe_status(lang: Lang, item: AssignedTask, today: date) -> str:
    """"Đang thực hiện (60%) — quá hạn": the reported status and, derived from the dates, whether it is late."""
    update = item.latest
    if update is None:
        text = lang._("Not reported")
    elif update.status == Status.IN_PROGRESS and update.percent is not None:
        text = lang._("In progress ({percent}%)", percent=lang.number(update.percent))
    else:
        text = lang._(STATUS_LABELS.get(update.status, update.status))
    finished = update is not None and update.status in (Status.DONE, Status.NOT_ARISEN)
    if not finished and any(d.due < today for d in item.deadlines):
        text = lang._("{status}, overdue", status=text)
    return text


def describe_deadlines(lang: Lang, item: AssignedTask) -> str:
    if item.waits_for_event:
        return lang._("waiting for: {event}", event=item.task.schedule_text)
    return ", ".join(lang.date(d.due) for d in item.deadlines)
