"""Who takes part: units of the province, their members and how each member is reached."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import NaiveDatetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.db import utcnow


class UnitKind(StrEnum):
    DEPARTMENT = "department"
    AGENCY = "agency"
    COMMUNE = "commune"
    WARD = "ward"
    SPECIAL_ZONE = "special_zone"


# The province's two levels, as the plan names them: "các sở, ban, ngành" and "UBND các xã, phường, đặc khu".
PROVINCIAL: tuple[str, ...] = (UnitKind.DEPARTMENT, UnitKind.AGENCY)
COMMUNE_LEVEL: tuple[str, ...] = (UnitKind.COMMUNE, UnitKind.WARD, UnitKind.SPECIAL_ZONE)


class Role(StrEnum):
    OFFICER = "officer"
    MANAGER = "manager"
    VIEWER = "viewer"
    ADMIN = "admin"


class Unit(SQLModel, table=True):
    """A unit as it stands today, with what it was: the names it bore before (each with its last day), the day
    it was formed when that was after the plan began, and the day it ceased by merging into a successor
    (data/units/changes.yaml; read by jobs/units.py)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=32)
    name: str
    kind: str = Field(max_length=16)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    groups: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    former_names: list[dict[str, str]] = Field(default_factory=list,
                                               sa_column=Column(JSON, nullable=False, server_default="[]"))
    began_on: date | None = None
    ended_on: date | None = None  # the first day it no longer existed
    successor_id: int | None = Field(default=None, foreign_key="unit.id")


class Member(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    role: str = Field(default=Role.OFFICER, max_length=16)
    language: str = Field(default="vi", max_length=8)
    display_name: str = ""
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    review_seen_at: NaiveDatetime | None = None  # a manager's last look at the review desk: "/duyet moi" is since


class ChannelAccount(SQLModel, table=True):
    """A member's identity on one platform; the same member may later have one per channel."""

    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=64)
    chat_id: str = Field(max_length=64)
    blocked: bool = False
    last_seen_at: NaiveDatetime = Field(default_factory=utcnow)


class Invite(SQLModel, table=True):
    """A one-time invitation. Only the code's hash is kept, so a leaked database cannot register anyone."""

    id: int | None = Field(default=None, primary_key=True)
    code_hash: str = Field(unique=True, index=True, max_length=64)
    unit_id: int = Field(foreign_key="unit.id")
    role: str = Field(default=Role.OFFICER, max_length=16)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    expires_at: NaiveDatetime
    used_at: NaiveDatetime | None = None
    used_by_member_id: int | None = Field(default=None, foreign_key="member.id")


class Absence(SQLModel, table=True):
    """A member away until a day (inclusive), and who covers: a named colleague, or else the unit's others."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True)
    until: date
    delegate_member_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: NaiveDatetime = Field(default_factory=utcnow)
