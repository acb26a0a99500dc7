"""What units report. Rows are never updated: a newer update for the same period supersedes the older one."""

from __future__ import annotations

from pydantic import NaiveDatetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.db import utcnow


class Status(StrEnum):
    DONE = "done"
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"
    NOT_ARISEN = "not_arisen"  # "không phát sinh": nothing to do this period


class ProgressUpdate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    period: str = Field(max_length=16, index=True)  # the reporting year, "2025"
    status: str = Field(max_length=16)
    percent: float | None = None
    result: str = ""
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    difficulties: str = ""
    member_id: int = Field(foreign_key="member.id")
    channel: str = Field(max_length=16)
    created_at: NaiveDatetime = Field(default_factory=utcnow, index=True)


class AnnualReport(SQLModel, table=True):
    """A unit's report on the year (seed, section III.3): its difficulties and proposals, and the moment it
    was submitted. The tasks' answers are ProgressUpdates written with it; a later report supersedes."""

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    period: str = Field(max_length=16, index=True)
    difficulties: str = ""
    proposals: str = ""
    tasks_updated: int = 0
    tasks_kept: int = 0
    member_id: int = Field(foreign_key="member.id")
    channel: str = Field(max_length=16)
    created_at: NaiveDatetime = Field(default_factory=utcnow, index=True)
