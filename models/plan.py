"""The plan as loaded from data/plans: its tasks and which unit leads or cooperates on each."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from pydantic import NaiveDatetime
from sqlmodel import Field, SQLModel

from models.db import utcnow


class AssignmentRole(StrEnum):
    LEAD = "lead"
    COOPERATING = "cooperating"


class Plan(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True, max_length=64)
    number: str = ""
    title: str
    issued_on: date | None = None
    annual_report_month: int = 11
    annual_report_day: int = 20
    sections: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Task(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    code: str = Field(max_length=16)  # "III.1": section and number, as the plan's appendix numbers them
    section: str = Field(max_length=8)
    number: int
    position: int  # order in the appendix, for listings
    content: str
    lead_text: str = ""
    cooperating_text: str = ""
    schedule_text: str = ""
    schedule_rules: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    figures: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The plan's years the task belongs to, when not all of them: a task an amendment adds from 2026, or one
    # that ends in 2027 (the plan's `years: {from, until}`); outside them it is not among the year's tasks.
    first_year: int | None = None
    last_year: int | None = None


class Assignment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("task_id", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    role: str = Field(max_length=16)


class Event(SQLModel, table=True):
    """The event an event-triggered task waits for ("sau khi Trung ương ban hành …"), as a manager recorded it."""

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task.id", index=True)
    occurred_on: date
    days_allowed: int
    note: str = ""
    recorded_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class ExtensionState(StrEnum):
    ASKED = "asked"
    APPROVED = "approved"
    REFUSED = "refused"


class Extension(SQLModel, table=True):
    """A unit's request for more time on one task in one year, and Sở KH&CN's answer. An approved one moves
    that unit's deadlines for the task (jobs/year.py), nobody else's."""

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    period: str = Field(max_length=16)
    until: date
    reason: str
    state: str = Field(default=ExtensionState.ASKED, max_length=16, index=True)
    asked_by_member_id: int = Field(foreign_key="member.id")
    asked_at: NaiveDatetime = Field(default_factory=utcnow)
    decided_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    decided_at: NaiveDatetime | None = None
    note: str = ""
