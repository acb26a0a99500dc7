"""A member's open form, saved after every step so that a restart or a day's pause loses nothing."""

from __future__ import annotations

from pydantic import NaiveDatetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.db import utcnow


class FormState(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True)
    form: str = Field(max_length=32)
    step: str = Field(max_length=64)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    history: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    offered: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # [token, value] of the buttons last shown
    updated_at: NaiveDatetime = Field(default_factory=utcnow)


class MenuState(SQLModel, table=True):
    """The choices of the last message the member *received* outside a form: [token, command, label] each.

    Typed numbers and words answer it only while it is the last message the member was shown (`answerable`),
    as a reader of numbered lines expects. A notice queued in the outbox becomes this menu only once it is
    delivered (handlers/machinery/menu.py `delivered`), so a "1" typed before it arrives cannot decide it.
    """

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True)
    offered: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    answerable: bool = True
    updated_at: NaiveDatetime = Field(default_factory=utcnow)


class OfferedChoice(SQLModel, table=True):
    """One button offered to a member, in a reply or in a notice: its opaque token and the command it runs.

    Every button stays pressable until it is pruned (TDC_KEEP_DAYS), not just the newest menu's: a manager
    with two extension requests can decide either. `shown` is the start of the message that offered it, so
    a decision taken through it is audited with what the person saw.
    """

    __tablename__ = "offered_choice"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=16, unique=True, index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    command: str
    label: str
    shown: str = ""
    # The item the button decides ("u12", "a5", "e7": jobs/refs.py), if it decides one: pruning keeps the buttons
    # of items still waiting for their decision, whatever the command's words.
    item: str | None = Field(default=None, max_length=24)
    created_at: NaiveDatetime = Field(default_factory=utcnow, index=True)
