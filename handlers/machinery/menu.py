"""Buttons outside forms: a handler offers actions (commands), the member sees opaque tokens, and a press runs
the command again as this member, through the same door and the same role checks as if it were typed.

Every button a member was offered stays pressable (`OfferedChoice`) until it is pruned, so a manager with two
extension requests can decide the first as well as the second; the command then says whether it is still
to be decided. On Zalo and the console the same menu is a list of numbered lines: a typed number or the
words of a line pick it only while that message is the last one the member *received* (`MenuState`), read
by the forms' own `pick`. A notice the bot queued is not received until the sender delivers it
(`delivered`), so nobody decides by a stray "1" what they were never shown.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from handlers.machinery.context import Context
from handlers.machinery.forms.steps import Invalid, OnlyPart, Option, pick
from handlers.machinery.messages import Action, Button, Reply
from jobs.text import fold
from models import MenuState, OfferedChoice
from models.db import utcnow

SHOWN_LENGTH = 300  # of the message that offered a choice, kept for the audit of a decision


@dataclass(frozen=True)
class Picked:
    """The command a press or a typed answer chose, and the message that offered it."""

    command: str
    shown: str


def attach(ctx: Context, replies: list[Reply]) -> list[Reply]:
    """Turns the replies' actions into buttons. The replies are what the member receives next, so they become
    the menu typed answers read; replies without actions make earlier menus no longer answerable by typing
    (their buttons still work)."""
    state = _state(ctx)
    if not any(reply.actions for reply in replies):
        if state is not None and state.answerable:
            state.answerable = False
            ctx.session.add(state)
        return replies
    offered: list[list[str]] = []
    shown: list[Reply] = []
    for reply in replies:
        tokens = _register(ctx.session, ctx.member.id or 0, reply.actions, reply.text)
        offered += [[token, action.command, action.label] for token, action in zip(tokens, reply.actions)]
        buttons = tuple(Button(token, action.label) for token, action in zip(tokens, reply.actions))
        shown.append(replace(reply, buttons=reply.buttons + buttons, actions=()))
    state = state or MenuState(member_id=ctx.member.id)
    state.offered, state.answerable, state.updated_at = offered, True, utcnow()
    ctx.session.add(state)
    return shown


def offer(session: Session, member_id: int, actions: tuple[Action, ...], text: str) -> tuple[tuple[str, str], ...]:
    """Buttons for a notice the bot queues on its own (a returned report, an extension to decide). A press
    works at once; a typed number only once the notice is delivered and is the last message received."""
    tokens = _register(session, member_id, actions, text)
    return tuple((token, action.label) for token, action in zip(tokens, actions))


def delivered(session: Session, notices: list[tuple[int, list[str]]]) -> None:
    """Notices (member, the tokens of their buttons) that reached their members, in the order they went out:
    each is now the last message its member received."""
    last = {member_id: tokens for member_id, tokens in notices}
    plain = [member_id for member_id, tokens in last.items() if not tokens]
    for start in range(0, len(plain), 500):
        session.exec(update(MenuState).where(col(MenuState.member_id).in_(plain[start:start + 500]))  # type: ignore[call-overload]
                     .values(answerable=False))
    for member_id, tokens in last.items():
        if tokens:
            choices = {c.token: c for c in session.exec(select(OfferedChoice).where(col(OfferedChoice.token).in_(tokens)))}
            state = session.exec(select(MenuState).where(MenuState.member_id == member_id)).first() \
                or MenuState(member_id=member_id)
            state.offered = [[t, choices[t].command, choices[t].label] for t in tokens if t in choices]
            state.answerable, state.updated_at = bool(state.offered), utcnow()
            session.add(state)


def command_for(ctx: Context, token: str) -> Picked | None:
    """A pressed button of this member's, whichever message offered it."""
    choice = ctx.session.exec(select(OfferedChoice).where(OfferedChoice.token == token[:16],
                                                          OfferedChoice.member_id == ctx.member.id)).first()
    return Picked(choice.command, choice.shown) if choice is not None else None


def typed(ctx: Context, text: str) -> Picked | Reply | None:
    """The command a typed answer picks from the menu of the last message received; a Reply when it is a number
    out of range; None when no menu is waiting or the words name none of its lines (then the text is read as
    usual)."""
    state = _state(ctx)
    if state is None or not state.answerable or not state.offered:
        return None
    options = [Option(entry[0], entry[2] if len(entry) > 2 else entry[1], (fold(entry[1].partition(" ")[2]),))
               for entry in state.offered]
    try:
        token = pick(options, text, whole=True)  # a menu's lines decide (accept, return, approve…)
    except OnlyPart as error:
        return Reply(ctx.lang._(error.msgid, **error.values))
    except Invalid as error:
        if fold(text).strip(" .").isdecimal():
            return Reply(ctx.lang._(error.msgid, **error.values))
        return None
    return command_for(ctx, token) or Picked(next(e[1] for e in state.offered if e[0] == token), "")


def _register(session: Session, member_id: int, actions: tuple[Action, ...], text: str) -> list[str]:
    tokens = [secrets.token_urlsafe(6) for _ in actions]
    if tokens:
        now = utcnow()
        session.execute(insert(OfferedChoice), [
            {"token": token, "member_id": member_id, "command": action.command, "label": action.label,
             "shown": text[:SHOWN_LENGTH], "item": action.item or None, "created_at": now}
            for token, action in zip(tokens, actions)])
    return tokens


MENU_STATE = "menu_state"  # in the message's context (Context.remember); the dispatcher reads it with the member


def _state(ctx: Context) -> MenuState | None:
    """Read once per message, whatever asks (a press, a typed answer, the replies' buttons)."""
    return ctx.remember(MENU_STATE, lambda: ctx.session.exec(
        select(MenuState).where(MenuState.member_id == ctx.member.id)).first())
