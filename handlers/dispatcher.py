"""Who is writing, and what do they want? Routes every Incoming to a command, the open form, or guidance.

Commands are a table, so an alias or a new command is one line. Anything unexpected gets a short,
helpful answer; nothing goes unanswered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from handlers import help as help_
from handlers import (absence, annual, events, groups, invites, language, my_tasks, progress, registration,
                      report, upcoming)
from handlers.machinery import evidence, menu
from handlers.review import decisions as review
from handlers.review import desk as review_desk
from handlers.review import extensions, returned
from handlers.review import workbook as review_file
from handlers.machinery.access import Permission, can, refusal
from handlers.machinery.context import Context
from handlers.machinery.forms import FormEngine
from handlers.machinery.forms.engine import FORM_STATE
from handlers.machinery.messages import Incoming, InputKind, Reply
from jobs.calendar import VIETNAM
from locales import lang
from models import ChannelAccount, FormState, MenuState, Member, Unit
from models.db import utcnow

SEEN_PRECISION = timedelta(minutes=1)  # how fresh "last seen" (which channel a member used last) is kept
ENGINE = FormEngine(progress.PROGRESS, annual.ANNUAL, review.RETURN, extensions.EXTENSION, extensions.REFUSAL,
                    review_file.REVIEW_FILE)

Command = Callable[[Context, str], list[Reply]]
# Who writes, with their unit, open form and menu: one read. The account is locked until the transaction ends:
# webhook workers sharing PostgreSQL take one chat's messages one at a time. Built once (bench/inbound.py).
_WRITER = (select(ChannelAccount, Member, Unit, FormState, MenuState)
           .join(Member, col(Member.id) == ChannelAccount.member_id)
           .join(Unit, col(Unit.id) == Member.unit_id)
           .outerjoin(FormState, col(FormState.member_id) == Member.id)
           .outerjoin(MenuState, col(MenuState.member_id) == Member.id)
           .where(ChannelAccount.channel == bindparam("channel"), ChannelAccount.external_id == bindparam("user"))
           .with_for_update(of=ChannelAccount))


def _form(action: Callable[[Context], list[Reply]]) -> Command:
    return lambda ctx, args: action(ctx)


OWN, ALL = Permission.OWN_UNIT, Permission.READ_ALL
# (names, permission needed, handler, belongs to the form flow). Vietnamese names first; English aliases after.
_TABLE: list[tuple[tuple[str, ...], Permission, Command, bool]] = [
    (("nhiemvu", "tasks"), OWN, my_tasks.show, False),
    (("capnhat", "update"), OWN, lambda ctx, args: progress.start(ctx, ENGINE, args), True),
    (("baocaonam", "annual"), OWN, lambda ctx, args: annual.start(ctx, ENGINE, args), True),
    (("tiep", "continue"), OWN, _form(ENGINE.resume), True),
    (("quaylai", "back"), OWN, _form(ENGINE.back), True),
    (("boqua", "skip"), OWN, _form(ENGINE.skip), True),
    (("huy", "cancel"), OWN, _form(ENGINE.cancel), True),
    (("nhacnho", "reminders"), OWN, upcoming.show, False),
    (("sukien", "event"), Permission.RECORD_EVENTS, events.handle, False),
    (("baocao", "report"), ALL, report.handle, False),
    (("duyet", "review"), Permission.REVIEW, lambda ctx, args: review_desk.handle(ctx, args, ENGINE), True),
    (("sualai", "revise"), OWN, lambda ctx, args: returned.handle(ctx, args, ENGINE), True),
    (("giahan", "extend"), OWN, lambda ctx, args: extensions.handle(ctx, args, ENGINE), True),
    (("vangmat", "away"), OWN, absence.handle, False),
    (("moi", "invite"), Permission.ADMINISTER, invites.handle, False),
    (("ngonngu", "language"), OWN, language.handle, False),
    (("help", "trogiup", "start"), OWN, help_.show, False),
]
COMMANDS: dict[str, tuple[Permission, Command]] = {
    name: (permission, handler) for names, permission, handler, _ in _TABLE for name in names}
FORM_COMMANDS = {name for names, _, _, in_form in _TABLE if in_form for name in names}


def dispatch(session: Session, incoming: Incoming, now: datetime, default_language: str = "vi",
             zone: tzinfo = VIETNAM) -> list[Reply]:
    """The replies to one incoming message. `now` is the province's local time."""
    if not incoming.private:
        return groups.answer(session, incoming, lang(default_language))
    found = session.exec(_WRITER, params={"channel": incoming.channel, "user": incoming.user_id}).first()
    if found is None:
        return registration.answer_stranger(session, incoming, lang(default_language), now, zone)
    account, member, unit, form_state, menu_state = found
    if account.chat_id != incoming.chat_id or account.last_seen_at < utcnow() - SEEN_PRECISION or account.blocked:
        # not a write on every message; one who writes again has unblocked the bot
        account.chat_id, account.last_seen_at, account.blocked = incoming.chat_id, utcnow(), False
    ctx = Context(session, member, unit, lang(member.language), now, incoming.channel, zone)
    ctx.know(FORM_STATE, form_state)
    ctx.know(menu.MENU_STATE, menu_state)
    state = ENGINE.state(ctx)
    if incoming.kind is InputKind.CHOICE and (picked := menu.command_for(ctx, incoming.choice)):
        incoming = replace(incoming, kind=InputKind.TEXT, text=picked.command, choice="")
        ctx.via, ctx.shown = "button", picked.shown
    elif incoming.kind is InputKind.TEXT and not incoming.command and state is None:
        # An open form answers typed text first; a menu only answers what the member last received.
        found = menu.typed(ctx, incoming.text)
        if isinstance(found, Reply):
            return [found]  # a number off the menu: the menu stays the one a number answers
        if found is not None:
            incoming = replace(incoming, text=found.command)
            ctx.via, ctx.shown = "number", found.shown
    return menu.attach(ctx, _route(ctx, incoming, state))


def _route(ctx: Context, incoming: Incoming, state: FormState | None) -> list[Reply]:
    open_form = state is not None
    if incoming.command:
        if "\x00" in incoming.text:  # a command's words are looked up, never stored; PostgreSQL refuses NUL
            incoming = replace(incoming, text=incoming.text.replace("\x00", ""))
        found = COMMANDS.get(incoming.command)
        if found is None:
            return [Reply(ctx.lang._("I do not know the command /{command}. Type /help to see what I can do.",
                                     command=incoming.command[:50]))]
        permission, handler = found
        replies = handler(ctx, incoming.args) if can(ctx.member, permission) else refusal(ctx, permission)
        if open_form and incoming.command not in FORM_COMMANDS:
            replies.append(Reply(ctx.lang._("You have an unfinished form. Type /tiep to continue it.")))
        return replies
    if state is not None:
        return ENGINE.answer(ctx, incoming, state)
    if incoming.kind is InputKind.FILE:
        unasked = review_file.sent_unasked(ctx, incoming.file_id, ENGINE) if incoming.file_id else None
        if unasked is not None:
            return unasked
        evidence.discard(ctx.session, incoming.file_id)
        return [Reply(ctx.lang._("Files are taken as evidence inside a report: type /capnhat, and send them when "
                                 "asked for documents."))]
    if incoming.kind is InputKind.CHOICE:
        return [Reply(ctx.lang._("That button belongs to a form that is already closed. "
                                 "Type /capnhat to start a new update."))]
    if incoming.kind is InputKind.TEXT and registration.looks_like_code(incoming.text):
        return [Reply(ctx.lang._("You are already registered for {unit}.", unit=ctx.unit.name))]
    return [Reply(ctx.lang._("I did not understand that. Type /capnhat to report progress, "
                             "/nhiemvu to see your tasks, or /help for everything else."))]
