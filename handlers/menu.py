"""Buttons outside forms: a handler offers actions (commands), the member sees opaque tokens, and a press runs
the command again as this member, through the same door and the same role checks as if it were typed.

On Zalo and the console the same menu is a list of numbered lines: while it is the last list the member was
shown, a typed number or the words of a line pick it, read by the forms' own `pick`.
"""

from __future__ import annotations

import secrets
from dataclasses import replace

from sqlmodel import Session, select

from handlers.context import Context
from handlers.forms.steps import Invalid, Option, pick
from handlers.messages import Action, Button, Reply
from jobs.text import fold
from models import MenuState
from models.db import utcnow


def attach(ctx: Context, replies: list[Reply]) -> list[Reply]:
    """Turns the replies' actions into buttons, remembering what each token runs (the newest menu only).
    Replies without actions leave the old buttons pressable but no longer answerable by typing."""
    state = _state(ctx)
    if not any(reply.actions for reply in replies):
        if state is not None and state.answerable:
            state.answerable = False
            ctx.session.add(state)
        return replies
    offered: list[list[str]] = []
    shown: list[Reply] = []
    for reply in replies:
        tokens = [secrets.token_urlsafe(6) for _ in reply.actions]
        offered += [[token, action.command, action.label] for token, action in zip(tokens, reply.actions)]
        buttons = tuple(Button(token, action.label) for token, action in zip(tokens, reply.actions))
        shown.append(replace(reply, buttons=reply.buttons + buttons, actions=()))
    state = state or MenuState(member_id=ctx.member.id)
    state.offered, state.answerable, state.updated_at = offered, True, utcnow()
    ctx.session.add(state)
    return shown


def offer(session: Session, member_id: int, actions: tuple[Action, ...]) -> tuple[tuple[str, str], ...]:
    """Buttons for a message the bot sends on its own (a returned report, an extension to decide): registered
    as the member's newest menu, so a press, or the number typed on Zalo, runs the command as that member."""
    tokens = [secrets.token_urlsafe(6) for _ in actions]
    state = session.exec(select(MenuState).where(MenuState.member_id == member_id)).first() \
        or MenuState(member_id=member_id)
    state.offered = [[token, action.command, action.label] for token, action in zip(tokens, actions)]
    state.answerable, state.updated_at = True, utcnow()
    session.add(state)
    return tuple((token, action.label) for token, action in zip(tokens, actions))


def command_for(ctx: Context, token: str) -> str | None:
    state = _state(ctx)
    return next((entry[1] for entry in state.offered if entry[0] == token), None) if state else None


def typed(ctx: Context, text: str) -> str | Reply | None:
    """The command a typed answer picks from the menu last shown; a Reply when it is a number out of range;
    None when no menu is waiting or the words name none of its lines (then the text is read as usual)."""
    state = _state(ctx)
    if state is None or not state.answerable or not state.offered:
        return None
    options = [Option(entry[1], entry[2] if len(entry) > 2 else entry[1], (fold(entry[1].partition(" ")[2]),))
               for entry in state.offered]
    try:
        return pick(options, text)
    except Invalid as error:
        if fold(text).strip(" .").isdecimal():
            return Reply(ctx.lang._(error.msgid, **error.values))
        return None


def _state(ctx: Context) -> MenuState | None:
    """Read once per message, whatever asks (a press, a typed answer, the replies' buttons)."""
    return ctx.remember("menu_state", lambda: ctx.session.exec(
        select(MenuState).where(MenuState.member_id == ctx.member.id)).first())
