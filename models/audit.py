"""Who changed what, and when: one row per change of an official record or of someone's access.

`actor` names who acted as "member:12", "cli" or, for someone not yet registered, "telegram:123456" (the
platform account): the log keeps ids, never names. Refused invitation codes are logged too, and are what the
lockout counts.
"""

from __future__ import annotations

from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.db import utcnow


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: NaiveDatetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=80, index=True)
    action: str = Field(max_length=40, index=True)  # update.saved, invite.created, code.refused …
    subject: str = Field(default="", max_length=80)  # "progress_update:17", "invite:3", "member:12"
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
