"""Everything the bot sends on its own initiative, written down before it is sent.

A row's `key` is unique: a reminder for (member, deadline, stage) can be written once only, so a scan that
runs twice, or a process killed in the middle of a fan-out and started again, cannot send it twice.

A pending row is sent by the one sender that claimed it (`claimed_by`, until `claimed_until`): several bot
processes, or a process's courier and its reminder cycle, never send one row twice. A claim lapses when its
holder stops renewing it (a process killed), so another sender takes the row over (bot/runtime/sender.py).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import NaiveDatetime
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.db import utcnow


# The kinds the reminder cycle writes and sends in office hours; every other kind is a person's act (a return,
# an acceptance, a request, a decision, a colleague covering) and goes out within seconds, from any process.
SCHEDULED_KINDS = ("reminder", "digest", "kickoff")
WAKE_CHANNEL = "tdc_outbox"  # PostgreSQL: NOTIFY on commit of a person's act, every process's courier LISTENs


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    UNREACHABLE = "unreachable"  # the member blocked the bot (Telegram 403): not retried
    FAILED = "failed"  # kept failing for days (bot/runtime/sender.py MAX_AGE): given up


class Outbox(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)
    kind: str = Field(max_length=16)  # reminder, digest, kickoff, nudge, returned, accepted, extension
    member_id: int = Field(foreign_key="member.id", index=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    text: str
    buttons: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # [token, label]
    status: str = Field(default=OutboxStatus.PENDING, max_length=16, index=True)
    attempts: int = 0
    last_error: str = ""
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    sent_at: NaiveDatetime | None = None
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: NaiveDatetime | None = None
