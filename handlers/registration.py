"""Invitations: an admin creates a one-time code for a unit and a role; the officer sends it to the bot.

Codes are 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 59 bits: not guessable,
the less so as five wrong codes from one account in an hour lock it out for the rest of that hour.
Only a SHA-256 of the code is stored; a code expires and works once. Every code created, used or refused goes
to the audit log, which is also what the lockout counts.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone, tzinfo

from sqlmodel import Session, select

from handlers.machinery import audit

from handlers.machinery.messages import Incoming, Reply
from handlers.machinery.outbox import enqueue
from handlers.notices import kickoff_on_registering
from jobs.text import fold
from locales import N_, Lang
from jobs.calendar import VIETNAM
from models import ChannelAccount, Invite, Member, Unit
from models.db import utcnow
from models.organisation import Role

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
MAX_WRONG_CODES = 5
LOCKOUT = timedelta(hours=1)
_LOOKS_LIKE_CODE = re.compile(rf"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


def normalise_code(text: str) -> str:
    return re.sub(r"[\s\-_.]", "", fold(text)).upper()


def looks_like_code(text: str) -> bool:
    return bool(_LOOKS_LIKE_CODE.match(normalise_code(text)))


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def pretty_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def create_invite(session: Session, unit: Unit, role: Role, valid_for: timedelta,
                  actor: str = audit.CLI) -> tuple[str, Invite]:
    """A new code (returned once, never stored) and its invitation row."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    invite = Invite(code_hash=hash_code(code), unit_id=unit.id, role=role, expires_at=utcnow() + valid_for)
    session.add(invite)
    session.flush()
    audit.record(session, actor, "invite.created", f"invite:{invite.id}", unit=unit.code, role=str(role),
                 expires_at=invite.expires_at.isoformat(timespec="minutes"))
    return code, invite


def locked_until(session: Session, incoming: Incoming) -> datetime | None:
    """When an account that sent too many wrong codes may try again (naive UTC), or None if it may now."""
    since = utcnow() - LOCKOUT
    actor = audit.account(incoming.channel, incoming.user_id)
    if audit.count_since(session, actor, "code.refused", since) < MAX_WRONG_CODES:
        return None
    return (audit.latest(session, actor, "code.refused") or utcnow()) + LOCKOUT


def _refuse(session: Session, incoming: Incoming, reason: str, message: str) -> list[Reply]:
    audit.record(session, audit.account(incoming.channel, incoming.user_id), "code.refused", reason=reason)
    return [Reply(message)]


def register(session: Session, incoming: Incoming, code: str, lang: Lang, now: datetime,
             zone: tzinfo = VIETNAM) -> list[Reply]:
    """Bind this platform account to the invitation's unit, or say plainly why the code does not work."""
    until = locked_until(session, incoming)
    if until is not None:
        local = until.replace(tzinfo=timezone.utc).astimezone(zone)
        return [Reply(lang._("Too many wrong invitation codes. Please try again after {time}, or ask Sở KH&CN "
                             "for help.", time=local.strftime("%H:%M ") + lang.date(local.date())))]
    invite = session.exec(select(Invite).where(Invite.code_hash == hash_code(code)).with_for_update()).first()
    if invite is None:
        return _refuse(session, incoming, "unknown", lang._(
            "This invitation code is not valid. Please check it, or ask Sở KH&CN for a new one."))
    if invite.used_at is not None:
        return _refuse(session, incoming, "used", lang._(
            "This invitation code has already been used. Each code works once; please ask Sở KH&CN for a new one."))
    if invite.expires_at < utcnow():
        return _refuse(session, incoming, "expired", lang._(
            "This invitation code expired on {date}. Please ask Sở KH&CN for a new one.",
            date=lang.date(invite.expires_at.date())))
    unit = session.get(Unit, invite.unit_id)
    assert unit is not None
    member = Member(unit_id=unit.id, role=invite.role, language=lang.code, display_name=incoming.name[:200])
    session.add(member)
    session.flush()
    account = ChannelAccount(member_id=member.id, channel=incoming.channel, external_id=incoming.user_id,
                             chat_id=incoming.chat_id)
    session.add(account)
    invite.used_at = utcnow()
    invite.used_by_member_id = member.id
    audit.record(session, audit.member(member), "invite.used", f"invite:{invite.id}", unit=unit.code,
                 role=invite.role, channel=incoming.channel)
    # One short welcome on a phone; the task list only when asked (/nhiemvu). Recorded as the member's
    # kick-off all the same, so that no scan sends the list unasked.
    enqueue(session, kickoff_on_registering(session, member, unit, account, now), already_sent=True)
    return [Reply(lang._("Welcome! You are now registered for {unit} ({role}).\n\n"
                         "Type /nhiemvu to see your unit's tasks, or /capnhat to report progress on one.",
                         unit=unit.name, role=lang._(ROLE_LABELS[Role(invite.role)])))]


def greet_stranger(lang: Lang) -> list[Reply]:
    return [Reply(lang._("Hello! This is tdc-bot of Sở KH&CN Quảng Ngãi, for reporting on the plan on "
                         "standards, metrology and quality.\n\n"
                         "You are not registered yet. Please type the invitation code that Sở KH&CN gave you "
                         "(12 letters and digits), or open the invitation link."))]


def answer_stranger(session: Session, incoming: Incoming, lang: Lang, now: datetime,
                    zone: tzinfo = VIETNAM) -> list[Reply]:
    """Anyone not yet registered may only present a code; everything else gets the same short guidance."""
    code = incoming.args if incoming.command == "start" else incoming.text
    if code and (incoming.command == "start" or looks_like_code(code)):
        return register(session, incoming, code, lang, now, zone)
    return greet_stranger(lang)


ROLE_LABELS: dict[Role, str] = {
    Role.OFFICER: N_("officer"),
    Role.MANAGER: N_("manager"),
    Role.VIEWER: N_("viewer"),
    Role.ADMIN: N_("administrator"),
}
