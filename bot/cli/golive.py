"""Going live: invitations for many units at once (`python -m bot invite --all`, or by kind, or a list of
codes), written where people use them — a workbook and one Word letter per unit (reports/invitations.py) —
and revoked when they should no longer work. A unit already on board (a member registered) or holding an
unused code still valid is not given another, unless asked (`--reissue`, which revokes the old code first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select

from handlers.machinery import audit
from handlers.onboarding import on_board
from handlers.registration import create_invite, pretty_code
from models import Invite, Unit
from models.db import utcnow
from models.organisation import COMMUNE_LEVEL, PROVINCIAL, Role
from reports.invitations import Invitation

KINDS = {"departments": PROVINCIAL, "communes": COMMUNE_LEVEL}


@dataclass(frozen=True)
class Issued:
    invitations: list[Invitation]
    on_board: list[str]  # unit codes skipped: someone is registered
    pending: list[str]  # unit codes skipped: an unused code is still valid
    unknown: list[str]  # codes asked for that name no unit


def units_wanted(session: Session, every: bool, kind: str | None, codes: list[str]) -> tuple[list[Unit], list[str]]:
    query = select(Unit).order_by(col(Unit.kind), col(Unit.name))
    if kind:
        query = query.where(col(Unit.kind).in_(KINDS[kind]))
    elif not every:
        query = query.where(col(Unit.code).in_(codes))
    units = list(session.exec(query))
    known = {unit.code for unit in units}
    return units, [code for code in codes if code not in known]


def issue(session: Session, units: list[Unit], role: Role, days: int, username: str | None,
          reissue: bool = False) -> tuple[list[Invitation], list[str], list[str]]:
    """A code for each unit that needs one; the units skipped because on board or already invited."""
    registered = {unit.id for unit in on_board(session, {u.id or 0 for u in units}).registered}
    now = utcnow()
    waiting = set(session.exec(select(Invite.unit_id).where(
        col(Invite.used_at).is_(None), Invite.expires_at > now, Invite.role == role)).all())
    made: list[Invitation] = []
    on_board_codes, pending_codes = [], []
    for unit in units:
        if unit.id in registered and not reissue:
            on_board_codes.append(unit.code)
            continue
        if unit.id in waiting:
            if not reissue:
                pending_codes.append(unit.code)
                continue
            revoke(session, unit)
        code, invite = create_invite(session, unit, role, timedelta(days=days))
        made.append(Invitation(unit.code, unit.name, pretty_code(code),
                               f"https://t.me/{username}?start={code}" if username else "", invite.expires_at.date()))
    return made, on_board_codes, pending_codes


def revoke(session: Session, unit: Unit) -> int:
    """Every unused code of the unit stops working now; audited."""
    now = utcnow()
    invites = list(session.exec(select(Invite).where(Invite.unit_id == unit.id, col(Invite.used_at).is_(None),
                                                     Invite.expires_at > now)))
    for invite in invites:
        invite.expires_at = now
        session.add(invite)
        audit.record(session, audit.CLI, "invite.revoked", f"invite:{invite.id}", unit=unit.code)
    return len(invites)
