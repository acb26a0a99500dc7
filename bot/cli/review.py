"""`python -m bot review list|accept|return|export|import`: Sở KH&CN's review from the command line, the same acts as /duyet
(handlers/review/decisions.py), audited with the actor "cli".

accept takes references as the bot writes them (`review accept u37 u38 a5`, ranges `u37-u45`), every item a
unit has waiting (`--unit 21040 --all`), or the submission in force for a unit and a task (`--unit 21040 --task
III.1`; `--task annual`: the unit's newest annual report of the year); all in one transaction, each by the
rule for one (decided once). return takes one reference or a unit and a task, and a note.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.settings import Settings
from handlers.machinery.forms.steps import Invalid
from handlers.review.decisions import Refused, Told, accept, describe, give_back, parse_ref, queue, what
from handlers.review.workbook import apply, read, rows_for
from jobs.refs import Ref, in_lock_order, span
from jobs.year import in_force
from locales import N_, Lang
from models import AnnualReport, Assignment, Plan, Task, Unit, session_scope
from models.db import owner_only, utcnow
from reports.review_book import review_workbook

def add_commands(sub: Any, speak: Lang) -> None:
    review = sub.add_parser("review", help=speak._("accept or return what units sent (list, accept, return)"))
    actions = review.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help=speak._("what awaits review, oldest first, by unit"))
    listing.add_argument("--year", type=int, help=speak._("only this year"))
    listing.add_argument("--unit", metavar="CODE", help=speak._("only this unit"))
    listing.add_argument("--plan", metavar="KEY", help=speak._("only this plan's tasks, and the annual reports"))
    listing.set_defaults(func=cmd_list)
    for name, help_text in (("accept", speak._("accept submissions: references (u37 u38 a5, u37-u45), a unit's "
                                               "task, or everything a unit has waiting")),
                            ("return", speak._("return a submission, with a note"))):
        act = actions.add_parser(name, help=help_text)
        act.add_argument("refs", nargs="*", metavar="REF", help=speak._("references as the bot writes them: u12, a5"))
        act.add_argument("--unit", metavar="CODE", help=speak._("the unit's code (see: units)"))
        act.add_argument("--task", metavar="CODE", help=speak._("the task, e.g. III.1, or annual for the annual report"))
        act.add_argument("--year", type=int, help=speak._("the year (default: this year)"))
        if name == "accept":
            act.add_argument("--all", action="store_true", help=speak._("everything the unit has waiting"))
        else:
            act.add_argument("--note", required=True, help=speak._("what the unit should add or correct"))
        act.set_defaults(func=cmd_act)
    export = actions.add_parser("export", help=speak._("what awaits review, as a workbook to fill in Excel"))
    export.add_argument("--output", metavar="PATH", help=speak._("where to write it (default: var/exports/)"))
    export.set_defaults(func=cmd_export)
    imported = actions.add_parser("import", help=speak._("apply a filled review workbook: says what it would do; "
                                                         "--yes does it"))
    imported.add_argument("path", metavar="FILE", help=speak._("the workbook made by review export or /duyet xlsx"))
    imported.add_argument("--yes", action="store_true", help=speak._("apply the decisions"))
    imported.set_defaults(func=cmd_import)


def cmd_list(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    with Session(engine) as session:
        unit = _unit(session, args.unit, speak) if args.unit else None
        plan = session.exec(select(Plan).where(Plan.key == args.plan)).first() if args.plan else None
        if (args.unit and unit is None) or (args.plan and plan is None):
            if args.plan and plan is None:
                print(speak._("No plan has the key {key}. See: python -m bot plans", key=args.plan), file=sys.stderr)
            return 2
        waiting = queue(session, args.year, unit.id if unit else None, plan.id if plan else None)
        for pending in waiting:
            flag = speak._(" (revision)") if pending.resubmission else ""
            print(f"{pending.ref:<8} {pending.sent_at:%d/%m/%Y %H:%M}  {pending.unit.code:<8} {pending.what:<7}"
                  f" {pending.unit.name}{flag}")
    print(speak._("{n} awaiting review", n=len(waiting)))
    return 0


def cmd_act(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    year = args.year or settings.now().year
    with session_scope(engine) as session:
        refs = _refs(session, args, year, speak)
        if refs is None:
            return 2
        done, refused = 0, []
        told = Told(settings.now().date())  # each unit told once, however many of its submissions
        for ref in refs:
            try:
                row = (accept(session, ref, None, utcnow(), {"via": "cli"}, told) if args.action == "accept" else
                       give_back(session, ref, args.note, None, utcnow(), {"via": "cli"}, told))
            except Refused as why:
                refused.append(f"{ref}: {speak._(why.msgid, **why.values)}")
                continue
            done += 1
            if len(refs) == 1:
                said = N_("Accepted: {what}.") if args.action == "accept" else N_("Returned to the unit: {what}.")
                print(speak._(said, what=what(speak, session, ref, row)))
                print(describe(speak, session, ref, row))
        told.send(session)
    if len(refs) > 1:
        print(speak._("Accepted {n}; each unit will be told.", n=done))
    for line in refused:
        print(line, file=sys.stderr)
    return 2 if refused else 0


def cmd_export(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    with Session(engine) as session:
        rows = rows_for(session, speak, settings.zone)
    path = Path(args.output or f"var/exports/duyet-bao-cao-{settings.now():%Y%m%d}.xlsx")
    owner_only(path)
    path.write_bytes(review_workbook(rows, speak))
    print(speak._("{n} submissions awaiting review written to {path}.", n=len(rows), path=path))
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    path = Path(args.path)
    if not path.is_file():
        print(speak._("No file at {path}.", path=path), file=sys.stderr)
        return 2
    with session_scope(engine) as session:
        try:
            plan = read(session, path.read_bytes(), speak)
        except Invalid as refused:
            print(speak._(refused.msgid, **refused.values), file=sys.stderr)
            return 2
        print(plan.text(speak))
        if not args.yes:
            print(speak._("Nothing was applied; add --yes to apply it."))
            return 0
        print(apply(session, plan, None, utcnow(), speak))
    return 0


def _refs(session: Session, args: argparse.Namespace, year: int, speak: Lang) -> list[str] | None:
    """The references the arguments name, each said when it names nothing; None when nothing can be done."""
    if args.refs:
        found = [parse_ref(ref) for ref in args.refs]
        ranges = [ref for ref, parsed in zip(args.refs, found) if parsed is None]
        waiting = {item.ref for item in queue(session)}
        refs = [ref for ref in found if ref is not None]
        for text in ranges:
            spanned = span(text)
            if spanned is None:
                print(speak._("{ref} is not a reference (u12, a5) nor a range (u12-u20).", ref=text), file=sys.stderr)
                return None
            kind, low, high = spanned
            refs += [str(ref) for ref in sorted(filter(None, map(Ref.from_key, waiting)))
                     if ref.kind == kind and low <= ref.number <= high]
        if args.action == "return" and len(refs) != 1:
            print(speak._("Return one submission at a time: each needs its own note."), file=sys.stderr)
            return None
        return in_lock_order(refs)
    if not args.unit:
        print(speak._("Name the submissions (u12 a5), or a unit with --task or --all."), file=sys.stderr)
        return None
    unit = _unit(session, args.unit, speak)
    if unit is None:
        return None
    if getattr(args, "all", False):
        return in_lock_order(item.ref for item in queue(session, year, unit.id))
    if not args.task:
        print(speak._("Name the task with --task (or --all for everything the unit has waiting)."), file=sys.stderr)
        return None
    ref = _submission(session, unit, args.task, year)
    if ref is None:
        print(speak._("{unit} has sent nothing on {task} in {year}.", unit=unit.name, task=args.task, year=year),
              file=sys.stderr)
        return None
    return [ref]


def _submission(session: Session, unit: Unit, task_code: str, year: int) -> str | None:
    if task_code.lower() in ("annual", "nam", "baocaonam"):
        report = session.exec(select(AnnualReport).where(AnnualReport.unit_id == unit.id,
                                                         AnnualReport.period == str(year))
                              .order_by(col(AnnualReport.id).desc())).first()
        return str(Ref.of(report)) if report else None
    assignment = session.exec(select(Assignment).join(Task, col(Task.id) == Assignment.task_id).where(
        Assignment.unit_id == unit.id, col(Task.code).ilike(task_code))).first()
    update = in_force(session, assignment.id or 0, str(year)) if assignment else None
    if update is not None and update.annual_report_id is not None:
        return str(Ref.annual(update.annual_report_id))  # sent with the annual report: reviewed with it
    return str(Ref.of(update)) if update else None


def _unit(session: Session, code: str, speak: Lang) -> Unit | None:
    unit = session.exec(select(Unit).where(Unit.code == code)).first()
    if unit is None:
        print(speak._("No unit has the code {code}. See: python -m bot units", code=code), file=sys.stderr)
    return unit
