"""The inbound journal: every update a platform delivers, written down before it is acknowledged.

(channel, update_id) is unique, so a redelivered update is recognised and ignored. A row goes
pending → done (its effects and its replies committed in one transaction) → answered (the replies went out);
or pending → failed, with the error, when its handler raised. After a crash, pending rows are processed and
done rows answered when the bot starts again.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.db import utcnow


class InboundStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    ANSWERED = "answered"
    FAILED = "failed"


class InboundUpdate(SQLModel, table=True):
    __tablename__ = "inbound_update"
    __table_args__ = (UniqueConstraint("channel", "update_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    update_id: str = Field(max_length=64)
    chat_id: str = Field(max_length=64)
    incoming: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # the neutral Incoming, as JSON
    status: str = Field(default=InboundStatus.PENDING, max_length=16, index=True)
    replies: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    error: str = ""
    received_at: NaiveDatetime = Field(default_factory=utcnow)
    processed_at: NaiveDatetime | None = None
    handled_by: str | None = Field(default=None, max_length=64)  # the process that stored it, and answers it
