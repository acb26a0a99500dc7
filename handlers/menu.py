"""Buttons outside forms: a handler offers actions (commands), the member sees opaque tokens, and a press runs
the command again as this member, through the same door and the same role checks as if it were typed."""

from __future__ import annotations

import secrets
from dataclasses import replace

from sqlmodel import select

from handlers.forms import FormContext
from handlers.messages import Choice, Reply
from models import MenuState
from models.db import utcnow


def attach(ctx: FormContext, replies: list[Reply]) -> list[Reply]:
    """Turns the replies' actions into buttons, remembering what each token runs (the newest menu only)."""
    if not any(reply.actions for reply in replies):
        return replies
    offered: list[list[str]] = []
    shown: list[Reply] = []
    for reply in replies:
        tokens = [secrets.token_urlsafe(6) for _ in reply.actions]
        offered += [[token, action.command] for token, action in zip(tokens, reply.actions)]
        buttons = tuple(Choice(token, action.label) for token, action in zip(tokens, reply.actions))
        shown.append(replace(reply, choices=reply.choices + buttons, actions=()))
    state = _state(ctx) or MenuState(member_id=ctx.member.id)
    state.offered, state.updated_at = offered, utcnow()
    ctx.session.add(state)
    return shown


def command_for(ctx: FormContext, token: str) -> str | None:
    state = _state(ctx)
    return dict((t, c) for t, c in state.offered).get(token) if state else None


def _state(ctx: FormContext) -> MenuState | None:
    return ctx.session.exec(select(MenuState).where(MenuState.member_id == ctx.member.id)).first()
