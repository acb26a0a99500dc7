"""A unit's tasks of the year as the conversations word them. The facts come from jobs/year.py."""

from __future__ import annotations

from sqlmodel import col, select

from handlers.context import Context
from jobs.schedule import RuleKind
from jobs.year import AssignmentYear, unit_year
from locales import Lang
from models import Plan
from models.progress import STATUS_LABELS, Status


def unit_tasks(ctx: Context) -> list[AssignmentYear]:
    """The member's unit's active assignments this year, read once per message whatever asks."""
    year = ctx.today.year
    return ctx.remember(("unit_year", year),
                        lambda: unit_year(ctx.session, ctx.unit.id or 0, year, ctx.today, ctx.zone))


def know_unit_year(ctx: Context, items: list[AssignmentYear], plans: list[Plan]) -> None:
    """Hands the context a unit's year (and its plans) read together with other units' (the kick-off
    scan), so that rendering it reads nothing more."""
    ctx.remember(("unit_year", ctx.today.year), lambda: sorted(items, key=lambda a: not a.is_lead))
    ctx.remember(("unit_plans", ctx.today.year), lambda: plans)


def unit_plans(ctx: Context) -> list[Plan]:
    """The plans the member's unit has tasks in this year, in the order they were loaded."""
    ids = {item.task.plan_id for item in unit_tasks(ctx)}
    return ctx.remember(("unit_plans", ctx.today.year), lambda: list(ctx.session.exec(
        select(Plan).where(col(Plan.id).in_(ids)).order_by(col(Plan.id)))))


def describe_status(lang: Lang, item: AssignmentYear) -> str:
    """"Chưa hoàn thành, còn trong hạn — Đang thực hiện (60%)": the standing, the flag, and how far the unit
    said it had come when that is more than the standing says."""
    text = item.text(lang)
    update = item.update
    if update is None or update.status not in (Status.IN_PROGRESS, Status.NOT_STARTED):
        return text
    said = lang._(STATUS_LABELS[update.status])
    if update.status == Status.IN_PROGRESS and update.percent is not None:
        said = lang._("In progress ({percent}%)", percent=lang.number(update.percent))
    return f"{text} — {said}"


def describe_deadlines(lang: Lang, item: AssignmentYear) -> str:
    """The deadlines that bind this unit; the annual report named as such."""
    dates = [lang._("{date} (annual report)", date=lang.date(d.due)) if d.kind is RuleKind.ANNUAL
             else lang.date(d.due) for d in item.deadlines]
    if item.waits_for_event and item.is_lead:
        dates.insert(0, lang._("waiting for: {event}", event=item.task.schedule_text))
    if item.extended_until is not None:
        dates.append(lang._("extended to {date}", date=lang.date(item.extended_until)))
    return ", ".join(dates)
