"""Who is on board: which units have at least one member registered, which have nobody (their reminders
cannot be delivered: "chưa có cán bộ đăng ký", apart from "chưa báo cáo"), and which invitations are about to
expire unused. `/baocao`, `/baocao chuadangky`, the managers' digest and `python -m bot members --missing` read
it here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from jobs.reminders import PUSH_CHANNELS
from jobs.year import UnitRef, units_by_id
from locales import Lang
from models import ChannelAccount, Invite, Member
from models.db import utcnow

EXPIRING = timedelta(days=3)  # an unused code this close to its end is named in the digest
LISTED = 40


@dataclass(frozen=True)
class OnBoard:
    units: int
    registered: list[UnitRef]
    nobody: list[UnitRef]  # by name
    expiring: list[tuple[UnitRef, datetime]]  # unused invitations ending soon (naive UTC), by date


def on_board(session: Session, unit_ids: set[int] | None = None) -> OnBoard:
    """Units with a member reachable on Telegram or Zalo (unblocked), and those with nobody."""
    units = units_by_id(session, unit_ids)
    reachable = set(session.exec(select(Member.unit_id).join(ChannelAccount, col(ChannelAccount.member_id) == Member.id)
                                 .where(col(ChannelAccount.channel).in_(PUSH_CHANNELS),
                                        col(ChannelAccount.blocked).is_(False))).all())
    now = utcnow()
    expiring = [(units[unit_id], until) for unit_id, until in session.exec(
        select(Invite.unit_id, Invite.expires_at).where(col(Invite.used_at).is_(None), Invite.expires_at > now,
                                                        Invite.expires_at <= now + EXPIRING)).all()
        if unit_id in units]
    ordered = sorted(units.values(), key=lambda u: u.name)
    return OnBoard(len(units), [u for u in ordered if u.id in reachable], [u for u in ordered if u.id not in reachable],
                   sorted(expiring, key=lambda pair: pair[1]))


def headline(speak: Lang, board: OnBoard) -> str:
    return speak._("Units with an officer registered: {n}/{total}", n=len(board.registered), total=board.units)


def nobody_text(speak: Lang, board: OnBoard) -> str:
    """The units nobody has registered in: their reminders go nowhere until someone does."""
    if not board.nobody:
        return speak._("Every unit has an officer registered.")
    lines = [speak._("{n} units have nobody registered: their reminders cannot be delivered. Invite them: "
                     "python -m bot invite --all", n=len(board.nobody))]
    lines += [f"• {unit.name}" for unit in board.nobody[:LISTED]]
    if len(board.nobody) > LISTED:
        lines.append(speak._("… and {n} more (python -m bot members --missing).", n=len(board.nobody) - LISTED))
    return "\n".join(lines)


def expiring_text(speak: Lang, board: OnBoard) -> str:
    if not board.expiring:
        return ""
    lines = [speak._("Invitations about to expire unused:")]
    lines += [f"• {unit.name}: {speak.date(until.date())}" for unit, until in board.expiring[:LISTED]]
    return "\n".join(lines)
