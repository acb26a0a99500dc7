"""Writing messages the bot sends on its own initiative: once per key, whatever happens afterwards."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, text
from sqlmodel import Session, col, select

from models import Outbox
from models.db import utcnow
from models.outbox import SCHEDULED_KINDS, WAKE_CHANNEL, OutboxStatus

CHUNK = 500
QUEUED = "tdc.queued"  # in Session.info


@dataclass(frozen=True)
class OutgoingMessage:
    key: str
    kind: str
    member_id: int
    channel: str
    chat_id: str
    text: str
    unit_id: int = 0  # whose deadline or list it is; member 0 only in `simulate`, for a unit nobody registered in
    buttons: tuple[tuple[str, str], ...] = ()  # (token, label), registered with the member's menu (menu.offer)


def enqueue(session: Session, messages: list[OutgoingMessage], already_sent: bool = False) -> int:
    """Adds the messages whose key is new; returns how many were added. `already_sent` records messages
    that went out as a reply (the kick-off at registration), so that no scan sends them again. Rows are
    inserted in bulk: the first scan of a national year writes 150,000 kick-off messages."""
    added = 0
    now = utcnow()
    status = OutboxStatus.SENT if already_sent else OutboxStatus.PENDING
    for start in range(0, len(messages), CHUNK):
        chunk = {m.key: m for m in messages[start:start + CHUNK]}
        known = existing_keys(session, list(chunk))
        rows = [{"key": key, "kind": m.kind, "member_id": m.member_id, "channel": m.channel, "chat_id": m.chat_id,
                 "text": m.text, "buttons": [list(b) for b in m.buttons], "status": status, "attempts": 0,
                 "last_error": "", "created_at": now, "sent_at": now if already_sent else None}
                for key, m in chunk.items() if key not in known]
        if rows:
            session.execute(insert(Outbox), rows)
            if not already_sent:  # what the running bot delivers as soon as this transaction is committed
                session.info.setdefault(QUEUED, []).extend(row["key"] for row in rows)
                if any(row["kind"] not in SCHEDULED_KINDS for row in rows):
                    _wake_every_process(session)
        added += len(rows)
    return added


def _wake_every_process(session: Session) -> None:
    """On PostgreSQL, a NOTIFY that the server delivers when this transaction commits (never if it rolls back):
    every process's courier then looks for what is left unsent, whichever process wrote it. SQLite serves one
    process, whose own courier is told (`queued`)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {WAKE_CHANNEL}"))


def queued(session: Session) -> list[str]:
    """The keys of the messages this session wrote to the outbox: a person's act (a return, a request, a
    decision) is told to the other side within seconds, not at the next reminder cycle."""
    return list(session.info.get(QUEUED, []))


def existing_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of these keys the outbox already holds."""
    found: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        found.update(session.exec(select(Outbox.key).where(col(Outbox.key).in_(keys[start:start + CHUNK]))).all())
    return found
