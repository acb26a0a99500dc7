"""/vangmat (/away): an officer going on leave says until when, and may name a colleague of the same unit who
covers. Until that day the officer's reminders go to the colleague, or, without one, to the unit's other
members (jobs/reminders.recipients_on). The officer is back automatically the day after, or with /vangmat het.

    /vangmat 20/12/2026            away until 20/12/2026, the unit's others cover
    /vangmat 20/12/2026 Lan        … and Lan (a part of the colleague's name, or their number #12) covers
    /vangmat het                   back now
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlmodel import col, select

from handlers.machinery import audit
from handlers.machinery.context import Context
from handlers.machinery.forms.steps import Date, Invalid
from handlers.machinery.messages import Reply
from handlers.machinery.outbox import OutgoingMessage, enqueue
from jobs.reminders import officers
from jobs.text import fold
from locales import lang
from models import Absence, Member

LONGEST = timedelta(days=365)  # an absence of more than a year is a change of officer, not leave
_UNTIL = Date(name="until", prompt="", after=lambda ctx, answers: ctx.today - timedelta(days=1),  # today or later
              latest=lambda ctx, answers: ctx.today + LONGEST)


def handle(ctx: Context, args: str) -> list[Reply]:
    current = ctx.session.exec(select(Absence).where(Absence.member_id == ctx.member.id)).first()
    words = args.split(maxsplit=1)
    if not words:
        return [Reply(_status(ctx, current))]
    if fold(words[0]) in ("het", "ve", "back", "off"):
        if current is None:
            return [Reply(ctx.lang._("You are not marked as away."))]
        ctx.session.delete(current)
        audit.record(ctx.session, audit.member(ctx.member), "absence.ended", f"member:{ctx.member.id}")
        return [Reply(ctx.lang._("Welcome back: your reminders come to you again."))]
    try:
        until = date.fromisoformat(_UNTIL.parse(ctx, {}, words[0]))
    except Invalid as error:
        return [Reply(ctx.lang._(error.msgid, **error.values)), Reply(_usage(ctx))]
    delegate = None
    if len(words) > 1:
        found = _colleagues(ctx, words[1])
        if len(found) != 1:
            return [Reply(_choose(ctx, words[1], found))]
        delegate = found[0]
    absence = current or Absence(member_id=ctx.member.id or 0, until=until)
    absence.until = until
    absence.delegate_member_id = delegate.id if delegate else None
    ctx.session.add(absence)
    audit.record(ctx.session, audit.member(ctx.member), "absence.set", f"member:{ctx.member.id}",
                 until=until.isoformat(), delegate=absence.delegate_member_id)
    _tell_covering(ctx, absence, delegate)
    if delegate:
        return [Reply(ctx.lang._("Noted: you are away until {date}; your reminders go to {name}.",
                                 date=ctx.lang.date(absence.until), name=delegate.display_name or f"#{delegate.id}"))]
    return [Reply(ctx.lang._("Noted: you are away until {date}; your reminders go to the other members of {unit}.",
                             date=ctx.lang.date(absence.until), unit=ctx.unit.name))]


def _tell_covering(ctx: Context, absence: Absence, delegate: Member | None) -> None:
    """Whoever now receives the member's reminders learns whose they are and until when, so a reminder from
    the bot is not a puzzle."""
    people = officers(ctx.session, {ctx.unit.id or 0}, role=None).get(ctx.unit.id or 0, [])
    covering = [p for p in people if p.member_id != ctx.member.id
                and (delegate is None or p.member_id == delegate.id)]
    enqueue(ctx.session, [OutgoingMessage(
        f"covering:{p.member_id}:{ctx.member.id}:{absence.until.isoformat()}", "absence", p.member_id, p.channel,
        p.chat_id, lang(p.language)._("{name} of {unit} is away until {date}: meanwhile their reminders come to you.",
                                      name=ctx.member.display_name or f"#{ctx.member.id}", unit=ctx.unit.name,
                                      date=lang(p.language).date(absence.until)), ctx.unit.id or 0)
        for p in covering])


def _colleagues(ctx: Context, wanted: str) -> list[Member]:
    others = ctx.session.exec(select(Member).where(Member.unit_id == ctx.unit.id, Member.id != ctx.member.id)
                              .order_by(col(Member.id))).all()
    number = re.fullmatch(r"#?(\d{1,9})", wanted.strip())
    if number:
        return [m for m in others if m.id == int(number.group(1))]
    return [m for m in others if fold(wanted) in fold(m.display_name)]


def _choose(ctx: Context, wanted: str, found: list[Member]) -> str:
    if not found:
        return ctx.lang._("No other member of {unit} matches \"{text}\". Name a colleague by part of their name or "
                          "by their number, e.g. #12.", unit=ctx.unit.name, text=wanted[:40])
    names = "\n".join(f"• #{m.id} {m.display_name}" for m in found[:20])
    return ctx.lang._("Several colleagues match; write their number, e.g. /vangmat 20/12/2026 #{id}:\n{names}",
                      id=found[0].id, names=names)


def _status(ctx: Context, current: Absence | None) -> str:
    if current is not None and current.until >= ctx.today:
        return ctx.lang._("You are away until {date}.", date=ctx.lang.date(current.until)) + "\n\n" + _usage(ctx)
    return _usage(ctx)


def _usage(ctx: Context) -> str:
    return ctx.lang._("Going on leave? /vangmat 20/12/2026 — until that day your reminders go to the other members "
                      "of your unit; /vangmat 20/12/2026 Lan — they go to your colleague Lan; /vangmat het — you are "
                      "back.")
