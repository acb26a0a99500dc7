"""One person, one member: an admin merges the registrations a person made on Telegram and on Zalo, so that
they are reminded once, on the channel they used last, and everything they reported stays theirs; and removes
a member who leaves, whose reports stay while the unit's reminders go to the others."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, col, select, update

from handlers.machinery import audit
from locales import N_
from models import (Absence, AnnualReport, ChannelAccount, FormState, Invite, Member, MenuState, Outbox, ProgressUpdate,
                    Unit)
from models.outbox import OutboxStatus


class CannotLink(Exception):
    """Why two members cannot be merged; the message is an msgid with its values."""

    def __init__(self, msgid: str, **values: object) -> None:
        super().__init__(msgid)
        self.msgid, self.values = msgid, values


def link(session: Session, source_id: int, target_id: int) -> int:
    """Moves everything of `source` to `target` and removes `source`; returns how many accounts moved."""
    source, target = session.get(Member, source_id), session.get(Member, target_id)
    if source is None or target is None or source_id == target_id:
        raise CannotLink(N_("Give two different member numbers (see: python -m bot members)."))
    if source.unit_id != target.unit_id:
        raise CannotLink(N_("Members {a} and {b} belong to different units; they cannot be one person."),
                         a=source_id, b=target_id)
    for table in (ProgressUpdate, AnnualReport, Outbox):
        session.exec(update(table).where(col(table.member_id) == source_id)  # type: ignore[call-overload]
                     .values(member_id=target_id))
    session.exec(update(Invite).where(col(Invite.used_by_member_id) == source_id)  # type: ignore[call-overload]
                 .values(used_by_member_id=target_id))
    accounts = session.exec(select(ChannelAccount).where(ChannelAccount.member_id == source_id)).all()
    for account in accounts:
        account.member_id = target_id
        session.add(account)
    for table in (FormState, MenuState):
        for row in session.exec(select(table).where(table.member_id == source_id)).all():
            session.delete(row)
    session.flush()
    session.delete(source)
    audit.record(session, audit.CLI, "member.linked", f"member:{target_id}", merged=source_id, accounts=len(accounts))
    return len(accounts)


def remove_member(session: Session, member_id: int, actor: str) -> Unit | None:
    """A member who leaves the unit: their accounts go (they receive nothing and are a stranger if they write
    again), their open form, menu, absence and pending notices with them; what they reported stays theirs, in
    the record. Returns their unit, or None when there is no such member."""
    member = session.get(Member, member_id)
    if member is None:
        return None
    for table in (ChannelAccount, FormState, MenuState, Absence):
        for row in session.exec(select(table).where(table.member_id == member_id)).all():
            session.delete(row)
    session.exec(delete(Outbox).where(col(Outbox.member_id) == member_id,  # type: ignore[call-overload]
                                      Outbox.status == OutboxStatus.PENDING))
    audit.record(session, actor, "member.removed", f"member:{member_id}", unit_id=member.unit_id)
    return session.get(Unit, member.unit_id)
