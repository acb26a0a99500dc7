"""/nhacnho (/reminders): the unit's next reminders, as the policy will send them."""

from __future__ import annotations

from handlers.machinery.context import Context
from handlers.machinery.messages import Reply
from handlers.notices import codes_text
from jobs.calendar import CALENDAR
from jobs.policy import DEFAULT_POLICY
from jobs.reminders import upcoming


def show(ctx: Context, args: str = "") -> list[Reply]:
    items = upcoming(ctx.session, ctx.unit.id or 0, ctx.today, DEFAULT_POLICY, CALENDAR)
    if not items:
        return [Reply(ctx.lang._("No reminders are planned for {unit}.", unit=ctx.unit.name))]
    lines = [ctx.lang._("Next reminders for {unit}:", unit=ctx.unit.name)]
    for day, _stage, deadline in items:
        lines.append(ctx.lang._("{day}: deadline {due}, tasks {codes}", day=ctx.lang.date(day),
                                due=ctx.lang.date(deadline.due), codes=codes_text(deadline.task_codes)))
    return [Reply("\n".join(lines))]
