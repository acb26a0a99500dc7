"""A task's deadlines in a year as the plan applies them: its schedule, the events managers recorded, and
nothing before the plan was issued. Every listing and every reminder asks this one place."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from jobs.schedule import Deadline, Rule, deadlines_in_year
from models import Event, Plan, Task

EventRecord = tuple[date, int]  # (day the event happened, days allowed after it)


_EVENTS = select(Event.task_id, Event.occurred_on, Event.days_allowed).order_by(col(Event.created_at), col(Event.id))


def recorded_events(session: Session) -> dict[int, EventRecord]:
    """The latest recorded event of each task."""
    return {task_id: (occurred_on, days) for task_id, occurred_on, days in session.exec(_EVENTS).all()}


def plan_deadlines(rules: list[Rule], year: int, issued_on: date | None, event: EventRecord | None,
                   annual_report: tuple[int, int]) -> list[Deadline]:
    return [d for d in deadlines_in_year(rules, year, event=event, annual_report=annual_report)
            if issued_on is None or d.due >= issued_on]


def task_deadlines(task: Task, plan: Plan, year: int, event: EventRecord | None) -> list[Deadline]:
    rules = [Rule.from_dict(rule) for rule in task.schedule_rules]
    return plan_deadlines(rules, year, plan.issued_on, event, (plan.annual_report_month, plan.annual_report_day))
