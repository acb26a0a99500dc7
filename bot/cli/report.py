"""`report`: the year's consolidated report as a file (the workbook, the Word draft, the chart, the evidence)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.cli.arguments import plan_keyed
from bot.cli.seed import ensure_seeded
from bot.cli.terminal import progress
from bot.settings import Settings
from locales import Lang, lang
from reports.chart import chart
from reports.docx import Signer, draft
from reports.evidence import archive
from reports.summary import summarise
from reports.xlsx import workbook


def add_report(sub: Any, speak: Lang) -> None:
    report = sub.add_parser("report", help=speak._("write the year's consolidated report as a file"))
    report.add_argument("--year", type=int, help=speak._("the year (default: this year)"))
    report.add_argument("--format", choices=["xlsx", "docx", "png", "zip"], default="xlsx", help=speak._(
        "the kind of file: the workbook, the Word draft, the chart, or the year's evidence files (zip)"))
    report.add_argument("--output", metavar="PATH", help=speak._("where to write it (default: var/exports/)"))
    report.add_argument("--plan", metavar="KEY", help=speak._("only this plan (see: plans); default: every plan"))
    report.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    ensure_seeded(engine)
    today = settings.now().date()
    year = args.year or today.year
    path = Path(args.output or f"var/exports/tdc-{year}.{args.format}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if args.format == "zip":
        with Session(engine) as session, path.open("wb") as target:
            count = archive(session, year, target)
        print(speak._("Written: {path} ({n} evidence files of {year}, in folders by unit and task).", path=path,
                      n=count, year=year))
        return 0
    with Session(engine) as session, progress(total=2, unit=speak._("steps")) as bar:
        plan = plan_keyed(session, args.plan, speak) if args.plan else None
        if args.plan and plan is None:
            return 2
        bar.set_description(speak._("reading the year"))
        summary = summarise(session, year, min(today, date(year, 12, 31)), settings.zone,
                            plan_ids={plan.id or 0} if plan else None, history=args.format == "xlsx")
        bar.update()
        bar.set_description(speak._("writing the file"))
        if args.format == "docx":  # an official document: Vietnamese, signed as the settings say
            path.write_bytes(draft(summary, lang("vi"), Signer(settings.signer_title, settings.signer_name)))
        else:
            path.write_bytes({"xlsx": workbook, "png": chart}[args.format](summary, speak))
        bar.update()
    print(speak._("Written: {path} ({reported}/{expected} units reported in {year}).", path=path,
                  reported=len(summary.units_reported), expected=len(summary.units_expected), year=year))
    return 0
