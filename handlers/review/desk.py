"""Sở KH&CN's desk: the review queue as pages of numbered lines, filtered by unit, task, plan or kind of unit,
and decisions on several items at once — by references ("u37 u38 u39", "u37-u45"), a whole page, or a
filter — always after a confirmation that says how many and which, then one line of result. Each item is
named as the bot writes it everywhere: u12 (an update), a5 (an annual report).

    /duyet                     the first page, oldest first        /duyet trang 2 · /duyet moinhat
    /duyet binh son · SKHCN    one unit (name or code)             /duyet III.2 · /duyet xa · /duyet so
    /duyet moi                 what arrived since the last look
    /duyet nhan u37 u38 u39    accept several (confirmed first)    /duyet nhan binh son (every item it lists)
    /duyet tralai u12 NOTE     return one, with its note
    /duyet xlsx                the queue as a workbook to fill   /duyet nhapfile   send it back (handlers/review/workbook.py)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from handlers.machinery.context import Context
from handlers.machinery.forms import FormEngine
from handlers.machinery.messages import Action, Reply
from handlers.review import workbook as review_file
from handlers.plans import plan_named
from handlers.review.decisions import (Pending, Refused, Scope, Told, accept, act, give_back, parse_ref, queue,
                                       reviewable, show, show_next)
from jobs.refs import Ref, in_lock_order, span
from jobs.text import fold
from jobs.year import local_day, status_text
from locales import N_
from models import ProgressUpdate, Task, Unit
from models.organisation import COMMUNE_LEVEL, PROVINCIAL, UnitKind

PAGE = 15
LABEL = 60
MOST_AT_ONCE = 200  # items one confirmation may name; a larger filter is narrowed first
KINDS = {"so": PROVINCIAL, "soban": PROVINCIAL, "sobannganh": PROVINCIAL, "xa": (UnitKind.COMMUNE,),
         "phuong": (UnitKind.WARD,), "dackhu": (UnitKind.SPECIAL_ZONE,), "xaphuong": COMMUNE_LEVEL}
NEWEST = {"moinhat", "moi nhat", "newest"}
NEW_SINCE = {"moi", "new"}


def handle(ctx: Context, args: str, engine: FormEngine) -> list[Reply]:
    """/duyet (a page of the queue) · /duyet u12 · /duyet nhan u12 · /duyet nhan u12 u13 (confirmed first) ·
    /duyet tralai u12 [note] · /duyet sau u12 · /duyet trang 2 · /duyet <unit, task or kind>; any of them
    after a plan's key (/duyet ke-hoach-12-2026 …) keeps to that plan's queue."""
    plan, args = plan_named(ctx.session, args)
    scope = Scope(plan.id if plan else None, f"{plan.key} " if plan else "")
    words = args.split()
    verb = fold(words[0]) if words else ""
    rest = words[1:]
    if verb in ("nhan", "tiepnhan", "accept") and rest:
        if len(rest) == 1 and (ref := parse_ref(rest[0])):
            return act(ctx, lambda: accept(ctx.session, ref, ctx.member, ctx.recorded_at, ctx.decided_through()),
                       N_("Accepted: {what}."), ref, scope)
        return confirm_accepting(ctx, scope.prefix, scope.plan_id, rest)
    if verb in ("xlsx", "excel") and not rest:
        return review_file.export(ctx)
    if verb in ("nhapfile", "nhap", "import") and not rest:
        return engine.start(ctx, "review_file")
    if verb == "nhanngay" and rest:
        return accept_many(ctx, rest)
    if verb in ("huy", "cancel"):
        return [Reply(ctx.lang._("Cancelled: nothing was accepted."))]
    if verb in ("tralai", "return") and rest and (ref := parse_ref(rest[0])):
        note = args.split(maxsplit=2)[2] if len(rest) > 1 else ""
        if note:
            return act(ctx, lambda: give_back(ctx.session, ref, note, ctx.member, ctx.recorded_at,
                                               ctx.decided_through()), N_("Returned to the unit: {what}."), ref, scope)
        try:
            reviewable(ctx.session, ref)
        except Refused as refused:
            return [Reply(ctx.lang._(refused.msgid, **refused.values))]
        return engine.start(ctx, "return", {"submission": ref})
    if verb in ("sau", "next") and rest and (ref := parse_ref(rest[0])):
        return show_next(ctx, scope, after=ref)
    if len(words) == 1 and (ref := parse_ref(verb)):
        return show(ctx, ref, scope)
    number = 1
    if verb in ("trang", "page") and rest and rest[0].isdecimal() and len(rest[0]) < 6:
        number, words = int(rest[0]), rest[1:]
    wanted = read_filter(ctx, " ".join(words))
    if wanted is None:
        return [Reply(ctx.lang._("No unit, task or kind of unit matches \"{words}\". Try part of a unit's name "
                                 "(/duyet binh son), its code, a task (/duyet III.2) or /duyet xa, /duyet so.",
                                 words=" ".join(words)[:50]))]
    return page(ctx, scope.prefix, scope.plan_id, wanted, number)


@dataclass(frozen=True)
class Filter:
    """What the desk shows: every item waiting, or those of some units, tasks or kinds; `words` as typed, so
    that the page buttons keep it."""

    words: str = ""
    unit_ids: frozenset[int] | None = None
    task_codes: frozenset[str] | None = None
    newest_first: bool = False
    since: datetime | None = None  # "moi": what arrived since the manager last looked at the desk

    def keeps(self, item: Pending) -> bool:
        return ((self.unit_ids is None or item.unit.id in self.unit_ids)
                and (self.task_codes is None or fold(item.what) in self.task_codes)
                and (self.since is None or item.sent_at > self.since))


def read_filter(ctx: Context, words: str) -> Filter | None:
    """The filter the words name; None when they name nothing (said, never silently dropped)."""
    typed = fold(words).strip()
    newest = any(typed.endswith(word) for word in NEWEST)
    for word in NEWEST:
        typed = typed.removesuffix(word).strip()
    if typed in NEW_SINCE:  # since the last look; a manager who never looked sees everything
        return Filter(words, newest_first=newest, since=ctx.member.review_seen_at or datetime.min)
    if not typed:
        return Filter(words, newest_first=newest)
    if typed.replace(" ", "") in KINDS:
        kinds = KINDS[typed.replace(" ", "")]
        ids = ctx.session.exec(select(Unit.id).where(col(Unit.kind).in_(kinds))).all()
        return Filter(words, unit_ids=frozenset(i for i in ids if i is not None), newest_first=newest)
    codes = {fold(code) for code in ctx.session.exec(select(Task.code)).all()}
    if typed in codes or typed in ("nam", "baocaonam", "annual"):
        return Filter(words, task_codes=frozenset({"annual"} if typed in ("nam", "baocaonam", "annual") else {typed}),
                      newest_first=newest)
    units = [unit for unit in ctx.session.exec(select(Unit)).all()
             if typed == fold(unit.code) or typed in fold(unit.name) or any(typed == fold(a) for a in unit.aliases)]
    if not units:
        return None
    return Filter(words, unit_ids=frozenset(u.id for u in units if u.id is not None), newest_first=newest)


def waiting(ctx: Context, plan_id: int | None, wanted: Filter) -> list[Pending]:
    items = [item for item in queue(ctx.session, plan_id=plan_id) if wanted.keeps(item)]
    return sorted(items, key=lambda p: p.sent_at, reverse=True) if wanted.newest_first else items


def page(ctx: Context, prefix: str, plan_id: int | None, wanted: Filter, number: int = 1) -> list[Reply]:
    """One page of the queue as numbered lines (buttons on Telegram), with how to go on; the item itself when
    it is the only one."""
    items = waiting(ctx, plan_id, wanted)
    ctx.member.review_seen_at = ctx.recorded_at  # what arrives from now on is "new" at the next look
    ctx.session.add(ctx.member)
    if not items:
        if wanted.since is not None:
            return [Reply(ctx.lang._("Nothing new awaits review since you last looked."))]
        if wanted.words.strip():
            return [Reply(ctx.lang._("Nothing awaits review for \"{words}\".", words=wanted.words.strip()[:50]))]
        return [Reply(ctx.lang._("Nothing awaits review."))]
    if len(items) == 1:  # a list of one would only cost a message more; headed by its own count, not the queue's
        return show(ctx, items[0].ref, Scope(plan_id, prefix), waiting=1)
    pages = (len(items) + PAGE - 1) // PAGE
    number = min(max(number, 1), pages)
    shown = items[(number - 1) * PAGE:number * PAGE]
    named_by = " ".join(word for word in wanted.words.split() if fold(word) not in NEWEST)
    scope = f" — {named_by}" if named_by else ""
    lines = [ctx.lang._("Awaiting review{scope}: {n}, {order}. Page {page}/{pages}.", scope=scope, n=len(items),
                        order=ctx.lang._("newest first") if wanted.newest_first else ctx.lang._("oldest first"),
                        page=number, pages=pages),
             ctx.lang._("Open one by its number or reference (u12). Accept several: /duyet nhan u12 u13 (or "
                        "u12-u20). Return one: /duyet tralai u12 followed by the note.")]
    actions = [Action(_line(ctx, item, statuses(ctx, shown)), f"/duyet {prefix}{item.ref}", item.ref) for item in shown]
    refs = " ".join(item.ref for item in shown)
    actions.append(Action(ctx.lang._("Accept this page ({n})", n=len(shown)), f"/duyet {prefix}nhan {refs}"))
    if number < pages:
        actions.append(Action(ctx.lang._("Next page"), f"/duyet {prefix}trang {number + 1} {wanted.words}".strip()))
    return [Reply("\n".join(lines), actions=tuple(actions))]


def statuses(ctx: Context, items: list[Pending]) -> dict[str, str]:
    """The status each update on the page reports ("Đang thực hiện 60%"), read once per page."""
    def read() -> dict[str, str]:
        ids = [ref.number for ref in map(Ref.from_key, (item.ref for item in items)) if ref and ref.is_update]
        found = {}
        for update_id, status, percent in ctx.session.exec(select(
                ProgressUpdate.id, ProgressUpdate.status, ProgressUpdate.percent).where(col(ProgressUpdate.id).in_(ids))):
            found[str(Ref.update(update_id))] = status_text(ctx.lang, status, percent)
        return found
    return ctx.remember(("desk_statuses", tuple(i.ref for i in items)), read)


def _line(ctx: Context, item: Pending, said: dict[str, str]) -> str:
    """"u12 · UBND xã Bình Sơn · I.2 · Đã hoàn thành · 01/09": within LABEL characters, the unit's name and then
    the status shortened first, so the reference, the task and the date always show."""
    what = ctx.lang._("annual report") if item.what == "annual" else item.what
    tail = [local_day(item.sent_at, ctx.zone).strftime("%d/%m")] + ([ctx.lang._("revision")] if item.resubmission
                                                                     else [])
    name, status = item.unit.name, said.get(item.ref, "")
    for shortened in ("name", "status"):
        line = " · ".join(part for part in (item.ref, name, what, status, *tail) if part)
        over = len(line) - LABEL
        if over <= 0:
            return line
        if shortened == "name":
            name = _cut(name, max(len(name) - over, 8))
        else:
            status = _cut(status, max(len(status) - over, 4))
    return " · ".join(part for part in (item.ref, name, what, status, *tail) if part)


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most - 1].rstrip() + "…"


def named(ctx: Context, plan_id: int | None, words: list[str]) -> tuple[list[Pending], list[str]] | None:
    """The items some references and ranges name ("u37 u38", "u37-u45"), and the references that name nothing
    waiting; None when the words are not references at all (a filter, then)."""
    tokens = [fold(word) for word in words]
    if not tokens or not all(Ref.parse(t) or span(t) for t in tokens):
        return None
    items = {item.ref: item for item in queue(ctx.session, plan_id=plan_id)}
    chosen: dict[str, Pending] = {}
    unknown: list[str] = []
    for token in tokens:
        ref, spanned = Ref.parse(token), span(token)
        if spanned:
            kind, low, high = spanned
            inside = [key for key, item in items.items()
                      if (r := Ref.from_key(key)) and r.kind == kind and low <= r.number <= high]
            chosen.update((ref, items[ref]) for ref in inside)
            if not inside:
                unknown.append(token)
        elif str(ref) in items:
            chosen[str(ref)] = items[str(ref)]
        else:
            unknown.append(token)
    return list(chosen.values()), unknown


def confirm_accepting(ctx: Context, prefix: str, plan_id: int | None, words: list[str]) -> list[Reply]:
    """Several to accept: says how many and which, and asks; nothing is decided yet."""
    found = named(ctx, plan_id, words)
    if found is None:
        wanted = read_filter(ctx, " ".join(words))
        if wanted is None:
            return [Reply(ctx.lang._("No unit, task or kind of unit matches \"{words}\"; nothing was accepted.",
                                     words=" ".join(words)[:50]))]
        items, unknown = waiting(ctx, plan_id, wanted), []
    else:
        items, unknown = found
    lines = []
    if unknown:
        lines.append(ctx.lang._("Not awaiting review, left aside: {refs}.", refs=", ".join(unknown)))
    if not items:
        return [Reply("\n".join([*lines, ctx.lang._("Nothing to accept.")]))]
    if len(items) > MOST_AT_ONCE:
        return [Reply(ctx.lang._("{n} items match; accept at most {most} at once: narrow it by unit, task or kind "
                                 "of unit.", n=len(items), most=MOST_AT_ONCE))]
    said = statuses(ctx, items[:PAGE])
    lines.insert(0, ctx.lang._("Accept these {n}?", n=len(items)))
    lines += [f"• {_line(ctx, item, said)}" for item in items[:PAGE]]
    if len(items) > PAGE:
        lines.append(ctx.lang._("… and {n} more: {refs}", n=len(items) - PAGE,
                                refs=" ".join(item.ref for item in items[PAGE:])))
    refs = " ".join(item.ref for item in items)
    return [Reply("\n".join(lines), actions=(
        Action(ctx.lang._("Accept {n}", n=len(items)), f"/duyet {prefix}nhanngay {refs}"),
        Action(ctx.lang._("Cancel"), f"/duyet {prefix}huy")))]


def accept_many(ctx: Context, refs: list[str]) -> list[Reply]:
    """The confirmed acceptances, each by the rule for one (decided once); one line of result, and why each
    that was not accepted was not. Each unit is told once, whatever it had among them."""
    done, refused = 0, []
    told = Told(ctx.today)
    for ref in in_lock_order(str(r) for r in map(Ref.parse, refs) if r):
        try:
            accept(ctx.session, ref, ctx.member, ctx.recorded_at, {**ctx.decided_through(), "bulk": "1"}, told)
            done += 1
        except Refused as why:
            refused.append(f"{ref}: {ctx.lang._(why.msgid, **why.values)}")
    told.send(ctx.session)
    lines = [ctx.lang._("Accepted {n}; each unit will be told.", n=done)]
    if refused:
        lines.append(ctx.lang._("Not accepted {n}:", n=len(refused)))
        lines += [f"• {reason}" for reason in refused]
    return [Reply("\n".join(lines))]
