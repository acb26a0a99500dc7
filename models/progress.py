"""What units report. What a unit said is never rewritten: a newer update for the same period supersedes the
older one, and Sở KH&CN's review (accepted, or returned with a note) is written beside it."""

from __future__ import annotations

from pydantic import NaiveDatetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary
from sqlmodel import Field, SQLModel

from locales import N_
from models.db import utcnow


class Status(StrEnum):
    """What the officer says; timeliness is never asked, it is derived (jobs/year.py)."""

    DONE = "done"
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"
    NOT_ARISEN = "not_arisen"  # "không phát sinh": nothing to do this period


STATUS_LABELS: dict[str, str] = {  # in the words of the forms and the reports
    Status.DONE: N_("Done"),
    Status.IN_PROGRESS: N_("In progress"),
    Status.NOT_STARTED: N_("Not started"),
    Status.NOT_ARISEN: N_("Nothing arose this year"),
}
FINISHED = (Status.DONE.value, Status.NOT_ARISEN.value)  # nothing more is owed on the task this period


class ReviewState(StrEnum):
    """What Sở KH&CN made of a submission (a progress update or an annual report)."""

    PENDING = "pending"  # chờ tiếp nhận
    ACCEPTED = "accepted"  # đã tiếp nhận
    RETURNED = "returned"  # trả lại, with a note: the unit revises and sends it again


REVIEW_LABELS: dict[str, str] = {
    ReviewState.PENDING: N_("Awaiting review"),
    ReviewState.ACCEPTED: N_("Accepted"),
    ReviewState.RETURNED: N_("Returned"),
}


class Reviewed(SQLModel):
    """The review of a submission, kept on the row itself: a submission is reviewed once, never rewritten."""

    review_state: str = Field(default=ReviewState.PENDING, max_length=16, index=True)
    reviewed_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    reviewed_at: NaiveDatetime | None = None
    review_note: str = ""


class ProgressUpdate(Reviewed, table=True):
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
    annual_report_id: int | None = Field(default=None, foreign_key="annualreport.id", index=True)  # sent with it
    resubmits_id: int | None = Field(default=None, foreign_key="progressupdate.id")  # the returned one it revises


class UpdateInForce(SQLModel, table=True):
    """Which update counts for an assignment in a period, written in the transaction that saves an update
    (jobs/year.py keeps it), so readers join to one row instead of ranking every update on every read."""

    __tablename__ = "update_in_force"

    assignment_id: int = Field(foreign_key="assignment.id", primary_key=True)
    period: str = Field(max_length=16, primary_key=True)
    progress_update_id: int = Field(foreign_key="progressupdate.id", unique=True)


class AnnualReport(Reviewed, table=True):
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
    resubmits_id: int | None = Field(default=None, foreign_key="annualreport.id")  # the returned one it revises


class EvidenceFile(SQLModel, table=True):
    """A file a unit sent as evidence (a photo, a PDF, a Word or Excel document), kept in the database itself so
    that every webhook process sharing it sees every file. Stored when it arrives, owned by the member whose
    form took it, and tied to the submission once that is saved."""

    __tablename__ = "evidence_file"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    filename: str = Field(max_length=200)
    mime_type: str = Field(max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    received_at: NaiveDatetime = Field(default_factory=utcnow)
    progress_update_id: int | None = Field(default=None, foreign_key="progressupdate.id", index=True)
    annual_report_id: int | None = Field(default=None, foreign_key="annualreport.id", index=True)
