"""The units as the data files list them (data/units/): the provincial departments and agencies with their
aliases and groups, and the commune-level units after 1 July 2025, each under the name plans write ("UBND xã
Bình Sơn"). Read by the seed and by the resolver of who a plan's cell names."""

from __future__ import annotations

import csv
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
            prefix = COMMUNE_PREFIXES[row["kind"]].strip().lower()
            aliases = [row["name"], short] + ([row["formed_from"]] if row["formed_from"] else [])
            units.append({"code": row["code"], "name": f"UBND {prefix} {short}", "kind": row["kind"],
                          "aliases": aliases, "groups": []})
    return units
