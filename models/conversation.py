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
    """The buttons last shown outside a form (report drill-down, language): [token, command, label] each.

    Buttons stay pressable until the next menu; typed numbers and words answer the menu only while it is
    the last list of choices the member was shown (`answerable`), as a reader of numbered lines expects.
    """

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True)
    offered: list[list[str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    answerable: bool = True
    updated_at: NaiveDatetime = Field(default_factory=utcnow)
