"""/moi (/invite): an administrator creates an invitation code in the chat, as `python -m bot invite` does."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from handlers.machinery import audit
from handlers.machinery.context import Context
from handlers.machinery.messages import Reply
from handlers.registration import ROLE_LABELS, create_invite, pretty_code
from jobs.text import fold
from models import Unit
from models.organisation import Role

VALID_FOR = timedelta(days=14)
ROLE_WORDS: dict[str, Role] = {
    "officer": Role.OFFICER, "can bo": Role.OFFICER, "dau moi": Role.OFFICER,
    "manager": Role.MANAGER, "quan ly": Role.MANAGER,
    "viewer": Role.VIEWER, "xem": Role.VIEWER, "theo doi": Role.VIEWER,
    "admin": Role.ADMIN, "quan tri": Role.ADMIN,
}


def handle(ctx: Context, args: str) -> list[Reply]:
    code, _, role_text = args.strip().partition(" ")
    unit = ctx.session.exec(select(Unit).where(Unit.code == code)).first() if code else None
    role = ROLE_WORDS.get(fold(role_text), None) if role_text.strip() else Role.OFFICER
    if unit is None or role is None:
        return [Reply(ctx.lang._("To invite someone: /moi UNIT_CODE [officer|manager|viewer|admin]. "
                                 "For example: /moi 21040 officer. Unit codes: python -m bot units"))]
    invitation, invite = create_invite(ctx.session, unit, role, VALID_FOR, actor=audit.member(ctx.member))
    return [Reply(ctx.lang._("Invitation for {unit} ({role}), valid until {date}:\n{code}\n"
                             "It works once. Send it to the person by a channel you trust.",
                             unit=unit.name, role=ctx.lang._(ROLE_LABELS[role]), code=pretty_code(invitation),
                             date=ctx.lang.date(invite.expires_at.date())),
                  secret=True, stored_as=ctx.lang._("An invitation for {unit} was created; its code is not kept, so "
                                                    "it cannot be shown again. Type /moi again for a new one.",
                                                    unit=unit.name))]
