"""The units as the data files list them (data/units/): the provincial departments and agencies with their
aliases and groups, and the commune-level units after 1 July 2025, each under the name plans write ("UBND xã
Bình Sơn"), with the changes since (changes.yaml: renamed, merged). Read by the seed and by the resolver of who a
plan's cell names."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
COMMUNE_PREFIXES = {"commune": "Xã ", "ward": "Phường ", "special_zone": "Đặc khu "}


def read_units(data_dir: Path) -> list[dict[str, Any]]:
    provincial = yaml.safe_load((data_dir / "units" / "provincial.yaml").read_text(encoding="utf-8"))["units"]
    units = [{**u, "groups": list(u.get("groups", [])), "aliases": list(u.get("aliases", []))} for u in provincial]
    with (data_dir / "units" / "communes.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            short = row["name"].removeprefix(COMMUNE_PREFIXES[row["kind"]])
            aliases = [row["name"], short] + ([row["formed_from"]] if row["formed_from"] else [])
            units.append({"code": row["code"], "name": plans_name(row["name"]), "kind": row["kind"],
                          "aliases": aliases, "groups": []})
    return with_changes(units, data_dir / "units" / "changes.yaml")


def plans_name(listed: str) -> str:
    """A commune-level unit's name as plans write it: its People's Committee ("Xã Bình Sơn" → "UBND xã Bình
    Sơn"); any other name as listed."""
    for prefix in COMMUNE_PREFIXES.values():
        if listed.startswith(prefix):
            return f"UBND {prefix.strip().lower()} {listed.removeprefix(prefix)}"
    return listed


class UnitsError(ValueError):
    """The units' files contradict themselves; the message names the file and the entry."""


def with_changes(units: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    """The units with their history from changes.yaml: `former_names` (each with its last day), `began_on`,
    `ended_on` and `successor` (a code). Changes are applied oldest first; a code nobody lists is refused."""
    try:
        written = (yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None) or {}
    except yaml.YAMLError as error:
        raise UnitsError(f"{path.name}: not readable as YAML ({error})") from None
    changes = (written.get("changes") or []) if isinstance(written, dict) else None
    if not isinstance(changes, list) or not all(isinstance(change, dict) for change in changes):
        raise UnitsError(f"{path.name}: 'changes' must be a list of entries, each with 'from' and 'renamed' or "
                         "'merged'")
    by_code = {unit["code"]: {**unit, "former_names": [], "began_on": None, "ended_on": None, "successor": None}
               for unit in units}
    for n, change in sorted(enumerate(changes, start=1), key=lambda c: str(c[1].get("from"))):
        where = f"{path.name}, change {n}"
        on = _day(change.get("from"), where)
        if "renamed" in change:
            unit = _unit(by_code, change["renamed"], where)
            was = plans_name(" ".join(str(change.get("was") or "").split()))
            if not was:
                raise UnitsError(f"{where}: 'was' must give the name {unit['code']} bore before {on}")
            unit["former_names"].append({"name": was, "until": (on - timedelta(days=1)).isoformat()})
        elif "merged" in change:
            successor = _unit(by_code, change.get("into"), where)
            merged_codes = change["merged"] if isinstance(change["merged"], list) else [change["merged"]]
            if successor["code"] in map(str, merged_codes):
                raise UnitsError(f"{where}: a unit cannot merge into itself")
            for code in merged_codes:
                merged = _unit(by_code, code, where)
                merged["ended_on"], merged["successor"] = on, successor["code"]
            if change.get("formed"):
                successor["began_on"] = on
        else:
            raise UnitsError(f"{where}: say 'renamed' or 'merged'")
    return list(by_code.values())


def _unit(by_code: dict[str, dict[str, Any]], code: Any, where: str) -> dict[str, Any]:
    if str(code) not in by_code:
        raise UnitsError(f"{where}: unknown unit code {code!r}")
    return by_code[str(code)]


def _day(value: Any, where: str) -> date:
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    except ValueError:
        raise UnitsError(f"{where}: 'from' must be a day, such as 2026-07-01") from None
