"""The audit log's one door: every change of an official record or of someone's access is written here,
in the same transaction as the change itself, so the log and the data cannot disagree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from models import AuditLog, Member
from models.db import utcnow

CLI = "cli"


def record(session: Session, actor: str, action: str, subject: str = "", **detail: Any) -> None:
    session.add(AuditLog(at=utcnow(), actor=actor, action=action, subject=subject, detail=detail))


def member(who: Member) -> str:
    return f"member:{who.id}"


def account(channel: str, external_id: str) -> str:
    """Someone not (yet) a member: their platform account, which is all we know."""
    return f"{channel}:{external_id}"[:80]


def count_since(session: Session, actor: str, action: str, since: datetime) -> int:
    return int(session.exec(select(func.count()).select_from(AuditLog).where(
        AuditLog.actor == actor, AuditLog.action == action, col(AuditLog.at) >= since)).one())


def latest(session: Session, actor: str, action: str) -> datetime | None:
    return session.exec(select(func.max(AuditLog.at)).where(AuditLog.actor == actor, AuditLog.action == action)).one()
