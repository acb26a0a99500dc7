"""`python -m bot review list|accept|return`: Sở KH&CN's review from the command line, the same acts as /duyet
(handlers/review.py), audited with the actor "cli".

accept and return take the submission in force for a unit and a task (`--task annual`: the unit's newest
annual report of the year).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.settings import Settings
from handlers.review import Refused, accept, describe, give_back, queue, what
from jobs.year import in_force
from locales import Lang
from models import AnnualReport, Assignment, Plan, Task, Unit, session_scope
from models.db import utcnow


def add_commands(sub: Any, speak: Lang) -> None:
    review = sub.add_parser("review", help=speak._("accept or return what units sent (list, accept, return)"))
    actions = review.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help=speak._("what awaits review, oldest first, by unit"))
    listing.add_argument("--year", type=int, help=speak._("only this year"))
    listing.add_argument("--unit", metavar="CODE", help=speak._("only this unit"))
    listing.add_argument("--plan", metavar="KEY", help=speak._("only this plan's tasks, and the annual reports"))
    listing.set_defaults(func=cmd_list)
    for name, help_text in (("accept", speak._("accept a unit's submission on a task")),
                            ("return", speak._("return a unit's submission on a task, with a note"))):
        act = actions.add_parser(name, help=help_text)
        act.add_argument("--unit", metavar="CODE", required=True, help=speak._("the unit's code (see: units)"))
        act.add_argument("--task", metavar="CODE", required=True,
                         help=speak._("the task, e.g. III.1, or annual for the annual report"))
        act.add_argument("--year", type=int, help=speak._("the year (default: this year)"))
        if name == "return":
            act.add_argument("--note", required=True, help=speak._("what the unit should add or correct"))
        act.set_defaults(func=cmd_act)


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
    try:
        with session_scope(engine) as session:
            unit = _unit(session, args.unit, speak)
            if unit is None:
                return 2
            ref = _submission(session, unit, args.task, year)
            if ref is None:
                print(speak._("{unit} has sent nothing on {task} in {year}.", unit=unit.name, task=args.task,
                              year=year), file=sys.stderr)
                return 2
            if args.action == "accept":
                row = accept(session, ref, None, utcnow())
                print(speak._("Accepted: {what}.", what=what(speak, session, ref, row)))
            else:
                row = give_back(session, ref, args.note, None, utcnow())
                print(speak._("Returned to the unit: {what}.", what=what(speak, session, ref, row)))
            print(describe(speak, session, ref, row))
    except Refused as refused:
        print(speak._(refused.msgid, **refused.values), file=sys.stderr)
        return 2
    return 0


def _submission(session: Session, unit: Unit, task_code: str, year: int) -> str | None:
    if task_code.lower() in ("annual", "nam", "baocaonam"):
        report = session.exec(select(AnnualReport).where(AnnualReport.unit_id == unit.id,
                                                         AnnualReport.period == str(year))
                              .order_by(col(AnnualReport.id).desc())).first()
        return f"a{report.id}" if report else None
    assignment = session.exec(select(Assignment).join(Task, col(Task.id) == Assignment.task_id).where(
        Assignment.unit_id == unit.id, col(Task.code).ilike(task_code))).first()
    update = in_force(session, assignment.id or 0, str(year)) if assignment else None
    if update is not None and update.annual_report_id is not None:
        return f"a{update.annual_report_id}"  # sent with the annual report: reviewed with it
    return f"u{update.id}" if update else None


def _unit(session: Session, code: str, speak: Lang) -> Unit | None:
    unit = session.exec(select(Unit).where(Unit.code == code)).first()
    if unit is None:
        print(speak._("No unit has the code {code}. See: python -m bot units", code=code), file=sys.stderr)
    return unit
