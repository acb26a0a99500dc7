"""/nhiemvu: the unit's tasks of this year with their deadlines and where each stands, lead tasks first; plan
by plan when the unit has tasks in several."""

from __future__ import annotations

from handlers.assignments import describe_deadlines, describe_status, no_tasks, unit_plans, unit_tasks
from handlers.machinery.context import Context
from handlers.machinery.messages import Reply
from jobs.year import AssignmentYear

TASKS_PER_MESSAGE = 6  # what a phone screen holds without endless scrolling
CONTENT_PREVIEW = 110


def show(ctx: Context, args: str = "") -> list[Reply]:
    year = ctx.today.year
    items = unit_tasks(ctx)
    if not items:
        return [no_tasks(ctx)]
    lead = [i for i in items if i.is_lead]
    replies = [Reply(ctx.lang._("Tasks of {unit} in {year}: leading {lead}, cooperating on {cooperating}.",
                                unit=ctx.unit.name, year=year, lead=len(lead), cooperating=len(items) - len(lead)))]
    plans = unit_plans(ctx)
    for plan in plans:
        if len(plans) > 1:
            replies.append(Reply(ctx.lang._("PLAN {number}: {title}", number=plan.number, title=plan.title)))
        mine = [i for i in items if i.task.plan_id == plan.id]
        replies += _group(ctx, ctx.lang._("LEADING"), [i for i in mine if i.is_lead])
        replies += _group(ctx, ctx.lang._("COOPERATING"), [i for i in mine if not i.is_lead])
    replies.append(Reply(ctx.lang._("To report on a task, type /capnhat.")))
    return replies


def _group(ctx: Context, heading: str, group: list[AssignmentYear]) -> list[Reply]:
    replies = []
    for start in range(0, len(group), TASKS_PER_MESSAGE):
        chunk = group[start:start + TASKS_PER_MESSAGE]
        lines = [f"{heading} ({start + 1}–{start + len(chunk)}/{len(group)})"]
        lines += [_entry(ctx, item) for item in chunk]
        replies.append(Reply("\n\n".join(lines)))
    return replies


def _entry(ctx: Context, item: AssignmentYear) -> str:
    content = item.task.content
    if len(content) > CONTENT_PREVIEW:
        content = content[:CONTENT_PREVIEW].rsplit(" ", 1)[0] + "…"
    return ctx.lang._("{code}. {content}\nDue: {deadlines} · {status}", code=item.task.code, content=content,
                      deadlines=describe_deadlines(ctx.lang, item), status=describe_status(ctx.lang, item))
