"""`report`: the year's consolidated report as a file (the workbook, the Word draft, the chart, the evidence), or
a period's, the plan's years side by side (`--from --to`: the workbook, the Word draft of a sơ kết)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.cli.arguments import plan_keyed
from bot.cli.seed import ensure_seeded
from bot.cli.terminal import progress
from bot.settings import Settings
from handlers.machinery.messages import Deferred
from handlers.report import make_file, year_file
from locales import Lang
from reports.docx import Signer
from reports.evidence import archive
from reports.period import MOST_YEARS
from reports.summary import summarise


def add_report(sub: Any, speak: Lang) -> None:
    report = sub.add_parser("report", help=speak._("write the year's consolidated report as a file"))
    report.add_argument("--year", type=int, help=speak._("the year (default: this year)"))
    report.add_argument("--format", choices=["xlsx", "docx", "png", "zip"], default="xlsx", help=speak._(
        "the kind of file: the workbook, the Word draft, the chart, or the year's evidence files (zip)"))
    report.add_argument("--output", metavar="PATH", help=speak._("where to write it (default: var/exports/)"))
    report.add_argument("--plan", metavar="KEY", help=speak._("only this plan (see: plans); default: every plan"))
    report.add_argument("--from", dest="first", type=int, metavar="YEAR", help=speak._(
        "with --to: the plan's years side by side, for a mid-term or final review (xlsx, docx or png)"))
    report.add_argument("--to", dest="last", type=int, metavar="YEAR", help=speak._("the period's last year"))
    report.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    ensure_seeded(engine)
    today = settings.now().date()
    if args.first is not None or args.last is not None:
        return _period(args, settings, engine, speak, today)
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
        # The Word draft is an official document: Vietnamese, signed as the settings say.
        made = year_file(session, summary, args.format, speak, Signer(settings.signer_title, settings.signer_name))
        assert made.attachment is not None
        path.write_bytes(made.attachment.content)
        bar.update()
    print(speak._("Written: {path} ({reported}/{expected} units reported in {year}).", path=path,
                  reported=len(summary.units_reported), expected=len(summary.units_expected), year=year))
    return 0


def _period(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang, today: date) -> int:
    """The period's workbook or Word draft (`--from 2025 --to 2027`)."""
    first, last = args.first or args.last, args.last or args.first
    if args.format == "zip" or not first <= last <= today.year or last - first >= MOST_YEARS:
        print(speak._("A period is --from YEAR --to YEAR, at most {most} years up to this one, as xlsx, docx or png.",
                      most=MOST_YEARS), file=sys.stderr)
        return 2
    path = Path(args.output or f"var/exports/tdc-{first}-{last}.{args.format}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with Session(engine) as session, progress(total=1, unit=speak._("steps")) as bar:
        plan = plan_keyed(session, args.plan, speak) if args.plan else None
        if args.plan and plan is None:
            return 2
        bar.set_description(speak._("reading the years"))
        later = Deferred(args.format, last, today, speak.code, (plan.id or 0,) if plan else (),
                         plan.key if plan else "", since=first)
        made = make_file(session, later, settings.zone, Signer(settings.signer_title, settings.signer_name))
        assert made.attachment is not None
        path.write_bytes(made.attachment.content)
        bar.update()
    print(speak._("Written: {path} (the years {first}–{last}).", path=path, first=first, last=last))
    return 0
