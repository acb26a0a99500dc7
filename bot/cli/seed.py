"""Loads the reviewed data files (data/units, data/plans) into the database. Running it twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from jobs.schedule import NotUnderstood, Rule, parse_schedule
from locales import Lang
from models import Assignment, Plan, Task, Unit, session_scope
from models.plan import AssignmentRole
from plans.units import DATA_DIR, UnitsError, read_units

T = TypeVar("T", bound=SQLModel)


class SeedError(Exception):
    """The data files contradict themselves; the message names the file and the entry."""


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, table: str, created: bool) -> None:
        bucket = self.created if created else self.updated
        bucket[table] = bucket.get(table, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def lines(self, speak: Lang, unchanged: str) -> list[str]:
        """What was added and updated, table by table; `unchanged` when nothing was."""
        return ([] if self.changed else [unchanged]) + [
            speak._("{table}: {n} added", table=table, n=n) for table, n in sorted(self.created.items())] + [
            speak._("{table}: {n} updated", table=table, n=n) for table, n in sorted(self.updated.items())]


def ensure_seeded(engine: Engine) -> SeedReport | None:
    """Seed on first run only; later changes to data/ are loaded with `python -m bot seed`."""
    with session_scope(engine) as session:
        if session.exec(select(Plan)).first() is not None:
            return None
        return seed(session)


def seed(session: Session, data_dir: Path = DATA_DIR) -> SeedReport:
    report = SeedReport()
    try:
        listed = read_units(data_dir)
    except UnitsError as error:
        raise SeedError(str(error)) from None
    units: dict[str, Unit] = {}
    while len(units) < len(listed):  # a successor first, so that the units merged into it can name its id
        ready = [u for u in listed if u["code"] not in units and (not u["successor"] or u["successor"] in units)]
        if not ready:
            raise SeedError("units/changes.yaml: units merged into each other in a circle")
        for unit in ready:
            successor = units[unit["successor"]].id if unit["successor"] else None
            units[unit["code"]] = _upsert(session, report, Unit, {"code": unit["code"]},
                                          {**unit, "successor_id": successor})
    groups = _groups(data_dir, units)
    for path in sorted((data_dir / "plans").glob("*.yaml")):
        _seed_plan(session, report, yaml.safe_load(path.read_text(encoding="utf-8")), units, groups, path)
    return report


def load_plan(session: Session, path: Path, data_dir: Path = DATA_DIR) -> SeedReport:
    """Adds or updates one plan from a file in the format of data/plans/ (a reviewed draft). Tasks are keyed by
    their code, so loading the same file again changes nothing, and a changed plan keeps every update already
    given on a task it still has."""
    report = SeedReport()
    units = {u.code: u for u in session.exec(select(Unit))}
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    _seed_plan(session, report, data, units, _groups(data_dir, units), path)
    return report


def _date(value: Any) -> date | None:
    """A date as YAML reads it, or written in quotes ('2025-09-15')."""
    return value if isinstance(value, date) or value is None else date.fromisoformat(str(value).strip())


def _groups(data_dir: Path, units: dict[str, Unit]) -> dict[str, list[Unit]]:
    declared = yaml.safe_load((data_dir / "units" / "groups.yaml").read_text(encoding="utf-8"))["groups"]
    return {key: [u for u in units.values() if key in u.groups or u.kind in spec.get("kinds", [])]
            for key, spec in declared.items()}


def _seed_plan(session: Session, report: SeedReport, data: dict[str, Any], units: dict[str, Unit],
               groups: dict[str, list[Unit]], path: Path) -> None:
    annual = data.get("annual_report", {})
    plan = _upsert(session, report, Plan, {"key": data["key"]}, {
        "key": data["key"], "number": data.get("number", ""), "title": " ".join(data["title"].split()),
        "issued_on": _date(data.get("issued_on")), "annual_report_month": annual.get("month", 11),
        "annual_report_day": annual.get("day", 20), "sections": data.get("sections", [])})
    for position, item in enumerate(data["tasks"], start=1):
        code = f"{item['section']}.{item['number']}"
        rules = [Rule.from_dict(r) for r in item["schedule_rules"]]
        parsed = parse_schedule(item["schedule"])
        if isinstance(parsed, NotUnderstood) and rules:
            pass  # rules written by hand for a text the parser does not read: the text stays as written
        elif isinstance(parsed, NotUnderstood) or list(parsed) != rules:
            raise SeedError(f"{path.name}, task {code}: schedule {item['schedule']!r} reads as {parsed}, "
                            f"but the file says {item['schedule_rules']}")
        task = _upsert(session, report, Task, {"plan_id": plan.id, "code": code}, {
            "plan_id": plan.id, "code": code, "section": str(item["section"]), "number": int(item["number"]),
            "position": position, "content": item["content"], "lead_text": item.get("lead", ""),
            "cooperating_text": item.get("cooperating", ""), "schedule_text": item["schedule"],
            "schedule_rules": [r.as_dict() for r in rules], "figures": item.get("figures", []),
            "first_year": (item.get("years") or {}).get("from"), "last_year": (item.get("years") or {}).get("until")})
        lead = _resolve(item.get("lead_units", []), units, groups, f"{path.name}, task {code}")
        cooperating = _resolve(item.get("cooperating_units", []), units, groups, f"{path.name}, task {code}")
        roles = {u.id: AssignmentRole.COOPERATING.value for u in cooperating}
        roles.update({u.id: AssignmentRole.LEAD.value for u in lead})  # a unit named in both leads
        for unit_id, role in roles.items():
            _upsert(session, report, Assignment, {"task_id": task.id, "unit_id": unit_id},
                    {"task_id": task.id, "unit_id": unit_id, "role": role})


def _resolve(refs: list[str], units: dict[str, Unit], groups: dict[str, list[Unit]], where: str) -> list[Unit]:
    found: list[Unit] = []
    for ref in refs:
        if ref.startswith("group:"):
            if ref[6:] not in groups:
                raise SeedError(f"{where}: unknown group {ref!r}")
            found.extend(groups[ref[6:]])
        elif ref in units:
            found.append(units[ref])
        else:
            raise SeedError(f"{where}: unknown unit code {ref!r}")
    return found


def _upsert(session: Session, report: SeedReport, table: type[T], key: dict[str, Any],
                         values: dict[str, Any]) -> T:
    statement = select(table)
    for column, value in key.items():
        statement = statement.where(getattr(table, column) == value)
    row = session.exec(statement).first()
    values = {k: v for k, v in values.items() if k in table.model_fields}
    if row is None:
        row = table(**values)
        session.add(row)
        session.flush()
        report.count(table.__tablename__, created=True)
        return row
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if changed:
        for column, value in changed.items():
            setattr(row, column, value)
        session.flush()
        report.count(table.__tablename__, created=False)
    return row
