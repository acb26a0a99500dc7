"""The plan's years side by side at scale: the seed plan on synthetic communes, three updates an assignment in
each of five years, timing the period's summary (each year read as its own consolidation), its workbook and
its Word draft, with the peak memory once both are made (the period's own: they are made first), beside one
year's workbook and draft on the same data. Each size runs in its own process.

    .venv/bin/python bench/period.py [--units 1000 10000] [--years 5]

Aims: at 10,000 units × 5 years the period workbook under 30 s, the draft under 15 s, at most 800 MiB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.report import _peak_mib, build  # noqa: E402


def measure(url: str, years: int) -> dict[str, list[float]]:
    from sqlmodel import Session

    from locales import lang
    from models import make_engine
    from reports.docx import draft
    from reports.period import summarise_period
    from reports.period_book import period_workbook
    from reports.period_docx import period_draft
    from reports.summary import summarise
    from reports.xlsx import workbook

    engine = make_engine(url)
    last = 2025 + years - 1
    found: dict[str, list[float]] = {}
    with Session(engine) as session:
        for name, make in (
                ("period xlsx", lambda: period_workbook(summarise_period(session, 2025, last, date(last, 12, 31)),
                                                        lang("vi"))),
                ("period docx", lambda: period_draft(summarise_period(session, 2025, last, date(last, 12, 31)),
                                                     lang("vi"))),
                ("year xlsx", lambda: workbook(summarise(session, last, date(last, 12, 31)), lang("vi"))),
                ("year docx", lambda: draft(summarise(session, last, date(last, 12, 31), history=False),
                                            lang("vi")))):
            started = time.perf_counter()
            size = len(make())
            found[name] = [time.perf_counter() - started, _peak_mib(), size / 2**20]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--child", nargs=3, metavar=("URL", "UNITS", "YEARS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        build(args.child[0], int(args.child[1]), int(args.child[2]))
        print(json.dumps(measure(args.child[0], int(args.child[2]))))
        return
    print(f"{'units':>7} {'years':>5}  {'period xlsx s':>13} {'period docx s':>13}  {'period MiB':>10}  "
          f"{'year xlsx s':>11} {'year docx s':>11}  {'all MiB':>7}")
    print(f"{'aims at 10,000 × 5':>20}  {'< 30':>10} {'< 15':>13}  {'≤ 800':>10}")
    for units in args.units:
        url = f"sqlite:///{tempfile.mkdtemp()}/period.sqlite3"
        out = subprocess.run([sys.executable, __file__, "--child", url, str(units), str(args.years)],
                             capture_output=True, text=True, check=True).stdout
        f = json.loads(out.strip().splitlines()[-1])
        print(f"{units:>7} {args.years:>5}  {f['period xlsx'][0]:>13.2f} {f['period docx'][0]:>13.2f}  "
              f"{f['period docx'][1]:>10.0f}  {f['year xlsx'][0]:>11.2f} {f['year docx'][0]:>11.2f}  "
              f"{f['year docx'][1]:>7.0f}", flush=True)


if __name__ == "__main__":
    main()
