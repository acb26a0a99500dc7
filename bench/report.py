"""Consolidation at scale: a synthetic year of the seed plan with 3 updates per assignment, at 1×, 4× and 16×
of a tenth of the national scale (1,000, 4,000 and 16,000 units), timing the summary /baocao shows first
(counted by the database), the year read assignment by assignment (what the drill-downs and the files read),
the Excel workbook and the Word draft, with the peak memory, so that growth shows. Each size runs in its own
process.

    .venv/bin/python bench/report.py [--tenth 1000] [--scales 1 4 16]

Aims (issue 13): at 10,000 units the summary under 1 s, the workbook under 20 s, the Word draft under 10 s, peak
memory under 600 MiB; growth no worse than linear.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build(url: str, units: int, years: int = 1) -> None:
    """The seed plan on `units` synthetic communes, three updates an assignment in each of `years` years from
    2025, the newest of each in force."""
    from sqlalchemy import func, insert, select

    from bot.cli.seed import seed
    from models import Assignment, Member, ProgressUpdate, Unit, UpdateInForce, init_db, make_engine, session_scope

    engine = make_engine(url)
    init_db(engine)
    with session_scope(engine) as session:
        seed(session)
        template = session.execute(select(Unit.id).where(Unit.code == "21040")).scalar_one()
        roles = session.execute(select(Assignment.task_id, Assignment.role)
                                .where(Assignment.unit_id == template)).all()
        first = session.execute(select(Unit.id).order_by(Unit.id.desc())).scalars().first() + 1
        ids = list(range(first, first + units))
        session.execute(insert(Unit), [{"id": i, "code": f"S{i}", "name": f"UBND xã Tổng hợp {i}",
                                        "kind": "commune", "aliases": [], "groups": []} for i in ids])
        session.execute(insert(Member), [{"id": i, "unit_id": i, "role": "officer", "language": "vi",
                                          "display_name": f"cb {i}", "created_at": datetime(2025, 9, 1)} for i in ids])
        assignments = [{"task_id": t, "unit_id": i, "role": r} for i in ids for t, r in roles]
        session.execute(insert(Assignment), assignments)
        rows = session.execute(select(Assignment.id, Assignment.unit_id).where(Assignment.unit_id >= first)).all()
        statuses = ("in_progress", "in_progress", "done")
        for year in range(2025, 2025 + years):
            session.execute(insert(ProgressUpdate), [
                {"assignment_id": a, "period": str(year), "status": statuses[n],
                 "percent": 30 * (n + 1) if n < 2 else None, "result": "Đã triển khai",
                 "figures": {"staff_trained_share": 20 + n + year - 2025}, "difficulties": "", "member_id": u,
                 "channel": "telegram", "created_at": datetime(year, 10, 1) + timedelta(days=n)}
                for a, u in rows for n in range(3)])
            # The newest of each assignment is in force, as save_update would have left it.
            newest = session.execute(select(func.max(ProgressUpdate.id), ProgressUpdate.assignment_id)
                                     .where(ProgressUpdate.assignment_id >= rows[0][0],
                                            ProgressUpdate.period == str(year))
                                     .group_by(ProgressUpdate.assignment_id)).all()
            session.execute(insert(UpdateInForce), [{"assignment_id": a, "period": str(year), "progress_update_id": u}
                                                    for u, a in newest])


def measure(url: str) -> dict[str, list[float]]:
    from sqlmodel import Session

    from locales import lang
    from models import make_engine
    from reports.docx import draft
    from reports.summary import overview_of, summarise
    from reports.xlsx import workbook

    engine = make_engine(url)
    found: dict[str, list[float]] = {}
    today = date(2025, 11, 25)
    with Session(engine) as session:
        started = time.perf_counter()
        overview_of(session, 2025, today)  # what /baocao shows first, counted by the database
        found["summary"] = [time.perf_counter() - started, _peak_mib()]
        started = time.perf_counter()
        summarise(session, 2025, today, history=False).figures()  # each assignment: drill-downs, the draft
        found["year"] = [time.perf_counter() - started, _peak_mib()]
        for name, write, history in (("xlsx", workbook, True), ("docx", draft, False),
                                     ("xlsx_before", xlsxwriter_workbook, True)):  # last: its peak is not ours
            started = time.perf_counter()  # the file's own summary counts: the workbook lists every update
            size = len(write(summarise(session, 2025, today, history=history), lang("vi")))
            found[name] = [time.perf_counter() - started, _peak_mib(), size / 2**20]
    return found


def xlsxwriter_workbook(summary: Any, speak: Any) -> bytes:
    """The same workbook through the writer it used before (XlsxWriter in constant-memory mode, each value by
    its type's own method), fed the very same sheets: what rustpy-xlsxwriter is measured against."""
    import xlsxwriter

    from reports import xlsx

    class XlsxWriterBook(xlsx.Book):
        def close(self) -> bytes:
            out = BytesIO()
            book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_urls": False})
            bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
            for name, records in self.sheets:
                sheet = book.add_worksheet(name)
                for column, width in enumerate(self.widths[name]):
                    sheet.set_column(column, column, width)
                sheet.freeze_panes(1, 0)
                writers = {str: sheet.write_string, int: sheet.write_number, float: sheet.write_number}
                number = 0
                for number, record in enumerate(records, start=1):
                    if number == 1:
                        sheet.write_row(0, 0, list(record), bold)
                    for column, value in enumerate(record.values()):
                        if value is not None:
                            writers.get(type(value), sheet.write)(number, column, value)
                sheet.autofilter(0, 0, max(1, number), len(self.widths[name]) - 1)
            book.close()
            return out.getvalue()

    replaced, xlsx.Book = xlsx.Book, XlsxWriterBook  # type: ignore[misc]
    try:
        return xlsx.workbook(summary, speak)
    finally:
        xlsx.Book = replaced  # type: ignore[misc]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenth", type=int, default=1_000)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--child", nargs=2, metavar=("URL", "UNITS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        build(args.child[0], int(args.child[1]))
        print(json.dumps(measure(args.child[0])))
        return
    print(f"{'units':>7} {'updates':>9}  {'summary s':>9} {'year s':>7} {'xlsx s':>7} {'docx s':>7}  {'peak MiB':>8}  "
          f"{'xlsx MiB':>8} {'docx MiB':>8}  {'XlsxWriter s':>12} {'ratio':>6}")
    print(f"{'aims at 10,000':>17}  {'< 1':>9} {'':>7} {'< 20':>7} {'< 10':>7}  {'< 600':>8}")
    previous: tuple[int, float] | None = None
    for scale in args.scales:
        units = args.tenth * scale
        url = f"sqlite:///{tempfile.mkdtemp()}/report.sqlite3"
        out = subprocess.run([sys.executable, __file__, "--child", url, str(units)], capture_output=True, text=True,
                             check=True).stdout
        figures = json.loads(out.strip().splitlines()[-1])
        updates = units * 15 * 3
        print(f"{units:>7} {updates:>9}  {figures['summary'][0]:>9.2f} {figures['year'][0]:>7.2f} "
              f"{figures['xlsx'][0]:>7.2f} {figures['docx'][0]:>7.2f}  {figures['docx'][1]:>8.0f}  "
              f"{figures['xlsx'][2]:>8.1f} {figures['docx'][2]:>8.1f}  {figures['xlsx_before'][0]:>12.2f} "
              f"{figures['xlsx_before'][0] / figures['xlsx'][0]:>5.1f}×")
        total = figures["summary"][0] + figures["year"][0] + figures["xlsx"][0] + figures["docx"][0]
        if previous:
            print(f"        ×{units / previous[0]:.0f} units → ×{total / previous[1]:.1f} time")
        previous = (units, total)


if __name__ == "__main__":
    main()
