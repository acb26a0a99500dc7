"""A unit over the years: the name it bore in a year and whether it answered for that year.

Units change: the 2025 reorganisation merged communes, and a commune may be renamed or merged again while a plan
runs. The data keeps today's units with what they were (models.Unit: `former_names`, `began_on`, `ended_on`,
`successor_id`, loaded from data/units/changes.yaml). The rule, one for every view and every year:

- The units that exist on a year's last day answer for that year: a unit merged during the year reports through
  its successor, and a unit formed during the year reports for it.
- A year names a unit as it was named on that day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Text, cast, or_
from sqlmodel import Session, col, select

from models import Unit


def year_close(year: int) -> date:
    return date(year, 12, 31)


def answers_for(year: int, began_on: date | None, ended_on: date | None) -> bool:
    """Whether a unit formed on `began_on` and ended on `ended_on` (None: before or after the plan) answers for
    the year."""
    close = year_close(year)
    return (began_on is None or began_on <= close) and (ended_on is None or ended_on > close)


def name_on(day: date, name: str, former_names: Iterable[dict[str, Any]]) -> str:
    """The name the unit bore on the day: the earliest former name still in use then, else today's."""
    earlier = sorted((entry["until"], entry["name"]) for entry in former_names if entry["until"] >= day.isoformat())
    return earlier[0][1] if earlier else name


def absent_in(session: Session, year: int) -> set[int]:
    """The units that do not answer for the year (not yet formed, or merged away): few, usually none, so every
    view reads the year's assignments and leaves these out."""
    close = year_close(year)
    return set(session.exec(select(Unit.id).where(or_(col(Unit.began_on) > close,
                                                      col(Unit.ended_on) <= close))).all())


@dataclass(frozen=True)
class UnitChange:
    """A change a period report tells: a unit renamed, merged into another, or formed."""

    on: date
    code: str
    name: str  # the unit's name after the change (the merged unit's last name, for a merger)
    was: str = ""  # renamed: the name before
    into: str = ""  # merged: the successor's name today
    formed: bool = False


def changes_between(session: Session, first: int, last: int) -> list[UnitChange]:
    """The units' changes that took effect from the first year's start to the last year's close, oldest first."""
    start, close = date(first, 1, 1), year_close(last)
    units = {unit.id: unit for unit in session.exec(select(Unit).where(or_(
        col(Unit.began_on).is_not(None), col(Unit.ended_on).is_not(None), cast(Unit.former_names, Text) != "[]")))}
    names = dict(session.exec(select(Unit.id, Unit.name).where(
        col(Unit.id).in_({u.successor_id for u in units.values() if u.successor_id}))).all())
    found = []
    for unit in units.values():
        renames = sorted(unit.former_names, key=lambda entry: entry["until"])
        for n, entry in enumerate(renames):
            on = date.fromisoformat(entry["until"]) + timedelta(days=1)
            after = renames[n + 1]["name"] if n + 1 < len(renames) else unit.name
            found.append(UnitChange(on, unit.code, after, was=entry["name"]))
        if unit.ended_on is not None:
            last_name = name_on(unit.ended_on - timedelta(days=1), unit.name, unit.former_names)
            found.append(UnitChange(unit.ended_on, unit.code, last_name, into=names.get(unit.successor_id, "")))
        if unit.began_on is not None:
            found.append(UnitChange(unit.began_on, unit.code, name_on(unit.began_on, unit.name, unit.former_names),
                                    formed=True))
    return sorted((c for c in found if start <= c.on <= close), key=lambda c: (c.on, c.code))
