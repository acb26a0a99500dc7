"""A unit's tasks of the year as the conversations word them. The facts come from jobs/year.py."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import col, select

from handlers.machinery.context import Context
from handlers.machinery.forms.steps import Answers, Option
from handlers.machinery.messages import Reply
from jobs.calendar import CALENDAR
from jobs.policy import DEFAULT_POLICY
from jobs.reminders import open_years
from jobs.schedule import RuleKind
from jobs.units import answers_for
from jobs.year import Assigned, AssignmentYear, Submission, local_day, unit_assignments, unit_year
from locales import Lang
from models import Assignment, Plan, Task, Unit
from models.progress import STATUS_LABELS, ReviewState, Status


def unit_tasks(ctx: Context, year: int | None = None) -> list[AssignmentYear]:
    """The member's unit's active assignments of the year (this one unless said), read once per message
    whatever asks."""
    year = year or ctx.today.year
    return ctx.remember(("unit_year", year),
                        lambda: unit_year(ctx.session, ctx.unit.id or 0, year, ctx.today, ctx.zone))


def unit_assigned(ctx: Context, year: int | None = None) -> list[Assigned]:
    """The unit's active assignments of the year (this one unless said), without standings (a list to pick a
    task from): the year itself when this message has read it already, else the lighter read."""
    year = year or ctx.today.year
    stood: list[AssignmentYear] | None = ctx.recall(("unit_year", year))
    if stood is not None:
        return [Assigned(item.assignment_id, item.task, item.role) for item in stood]
    return ctx.remember(("unit_assigned", year), lambda: unit_assignments(ctx.session, ctx.unit.id or 0, year))


def know_unit_year(ctx: Context, items: list[AssignmentYear], plans: list[Plan]) -> None:
    """Hands the context a unit's year (and its plans) read together with other units' (the kick-off
    scan), so that rendering it reads nothing more."""
    ctx.remember(("unit_year", ctx.today.year), lambda: sorted(items, key=lambda a: not a.is_lead))
    ctx.remember(("unit_plans", ctx.today.year), lambda: plans)


def unit_plans(ctx: Context, year: int | None = None) -> list[Plan]:
    """The plans the member's unit has tasks in of the year (this one unless said), in the order they were
    loaded. A unit assigned in one plan only (nearly every unit) is answered from its assignments, without
    standing its whole year: the question "which plan?" is asked only when there are several, and every form
    step asks it."""
    year = year or ctx.today.year

    def read() -> list[Plan]:
        with ctx.session.no_autoflush:  # the form's step, changed and unsaved, is no part of it: written once, later
            assigned = set(ctx.session.exec(_PLANS_ASSIGNED, params={"unit": ctx.unit.id}).all())
            ids = assigned if len(assigned) <= 1 else {item.task.plan_id for item in unit_assigned(ctx, year)}
            return list(ctx.session.exec(_PLANS, params={"plans": list(ids)}))
    return ctx.remember(("unit_plans", year), read)


def no_tasks(ctx: Context) -> Reply:
    """Why the unit has nothing to report this year: merged into another unit (whose tasks they now are), or no
    task of any plan is the unit's this year."""
    unit, year = ctx.unit, ctx.today.year
    if unit.ended_on is not None and not answers_for(year, None, unit.ended_on):
        successor = ctx.session.get(Unit, unit.successor_id) if unit.successor_id else None
        into = successor.name if successor is not None else ctx.lang._("another unit")
        return Reply(ctx.lang._("From {date}, {unit} is part of {successor}: its tasks of {year} are reported by "
                                "{successor}. The reports of earlier years are kept. To report for {successor}, ask "
                                "Sở KH&CN for its invitation code.", date=ctx.lang.date(unit.ended_on),
                                unit=unit.name, successor=into, year=year))
    return Reply(ctx.lang._("{unit} has no tasks in {year}.", unit=unit.name, year=year))


def has_tasks_to_record(ctx: Context) -> bool:
    """Whether a year the unit may record holds any task of it (/capnhat asks for one)."""
    return any(unit_assigned(ctx, int(option.value)) for option in year_options(ctx, {}))


def recorded_year(ctx: Context, answers: Answers) -> int:
    """The year a form records: the one its answers name (a revision: the year of what it revises; last year's
    report while it is still open), else this year. Never the day it is sent."""
    return int(answers.get("year") or ctx.today.year)


def year_options(ctx: Context, answers: Answers) -> list[Option]:
    """The years a form may record for the unit: last year while its report is still open, and this one; with
    a task already named, only the years it is active in; a revision, only the year of what it revises. Asked
    only when there are two."""
    if answers.get("revises"):
        return [Option(str(answers["year"]), str(answers["year"]))]
    years: list[int] = ctx.remember("open_years", lambda: open_years(ctx.session, ctx.unit.id or 0, ctx.today))
    if "task" in answers:
        years = [y for y in years if any(str(a.assignment_id) == answers["task"] for a in unit_assigned(ctx, y))]
    return [Option(str(y), ctx.lang._("{year} (its report is still open)", year=y) if y < ctx.today.year
                   else str(y), (str(y),)) for y in years]


# Asked at every /capnhat: built once (bench/inbound.py).
_PLANS_ASSIGNED = select(Task.plan_id).join(Assignment, col(Assignment.task_id) == Task.id).where(
    col(Assignment.unit_id) == bindparam("unit")).distinct()
_PLANS = select(Plan).where(col(Plan.id).in_(bindparam("plans", expanding=True))).order_by(col(Plan.id))


def describe_status(lang: Lang, item: AssignmentYear) -> str:
    """"Chưa hoàn thành, còn trong hạn — Đang thực hiện (60%) — Sở KH&CN trả lại: …": the standing, the flag,
    how far the unit said it had come when that is more than the standing says, and where Sở KH&CN's review of
    it stands, so the unit always sees a return and what to do by when."""
    text = item.text(lang)
    update = item.update
    if update is None:
        return text
    if update.status in (Status.IN_PROGRESS, Status.NOT_STARTED):
        said = lang._(STATUS_LABELS[update.status])
        if update.status == Status.IN_PROGRESS and update.percent is not None:
            said = lang._("In progress ({percent}%)", percent=lang.number(update.percent))
        text = f"{text} — {said}"
    return f"{text} — {describe_review(lang, update)}"


def describe_review(lang: Lang, update: Submission) -> str:
    if update.review_state == ReviewState.ACCEPTED:
        return lang._("accepted by Sở KH&CN")
    if update.review_state == ReviewState.RETURNED and update.reviewed_at is not None:
        due = DEFAULT_POLICY.resubmit_by(local_day(update.reviewed_at), CALENDAR)
        return lang._("returned by Sở KH&CN (u{id}): \"{note}\" — send it again by {date} (/sualai)",
                      id=update.id, note=update.review_note, date=lang.date(due))
    return lang._("awaiting review by Sở KH&CN")


def describe_deadlines(lang: Lang, item: AssignmentYear) -> str:
    """The deadlines that bind this unit: the annual report named as such, a deadline an extension set said
    to be one ("18/12/2026 (báo cáo năm, đã gia hạn)"), each date once."""
    dates = []
    for deadline in item.deadlines:
        tags = [lang._("annual report")] if deadline.kind is RuleKind.ANNUAL else []
        if item.extended_until is not None and deadline.due == item.extended_until:
            tags.append(lang._("extended"))
        dates.append(f"{lang.date(deadline.due)} ({', '.join(tags)})" if tags else lang.date(deadline.due))
    if item.waits_for_event and item.is_lead:
        dates.insert(0, lang._("waiting for: {event}", event=item.task.schedule_text))
    return ", ".join(dict.fromkeys(dates))
