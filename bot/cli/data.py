"""The plan's data as it stands in the database: `seed` (load data/), `units`, `tasks` with their deadlines,
and `event` (record what an event-triggered task waits for)."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.cli.arguments import unit_coded
from bot.cli.seed import SeedError, ensure_seeded, seed
from bot.settings import Settings
from handlers.assignments import describe_deadlines, describe_status
from handlers.events import event_tasks, record_event
from jobs.year import task_years, unit_year
from locales import Lang
from models import Plan, Task, Unit, session_scope
from plans.units import DATA_DIR


def add_seed(sub: Any, speak: Lang) -> None:
    parser = sub.add_parser("seed", help=speak._("load the plan and the units from data/ (safe to repeat)"))
    parser.add_argument("--data", type=Path, default=DATA_DIR, metavar="DIR",
                        help=speak._("a folder laid out as data/ (units/, plans/) to load instead"))
    parser.set_defaults(func=cmd_seed)


def add_units(sub: Any, speak: Lang) -> None:
    sub.add_parser("units", help=speak._("list the units with their codes")).set_defaults(func=cmd_units)


def add_tasks(sub: Any, speak: Lang) -> None:
    tasks = sub.add_parser("tasks", help=speak._("list the tasks with their deadlines"))
    tasks.add_argument("--unit", metavar="CODE", help=speak._("only this unit's tasks"))
    tasks.add_argument("--year", type=int, help=speak._("the year (default: this year)"))
    tasks.add_argument("--on", type=date.fromisoformat, metavar="YYYY-MM-DD", help=speak._(
        "the day the standings are taken on (default: today; for a past year, its last day)"))
    tasks.set_defaults(func=cmd_tasks)


def add_event(sub: Any, speak: Lang) -> None:
    event = sub.add_parser("event", help=speak._("record the event an event-triggered task waits for"))
    event.add_argument("--task", required=True, metavar="CODE", help=speak._("the task, e.g. III.3"))
    event.add_argument("--days", type=int, required=True, help=speak._("days the units have after the event"))
    event.add_argument("--date", type=date.fromisoformat, metavar="YYYY-MM-DD",
                       help=speak._("when the event happened (default: today)"))
    event.add_argument("--note", default="", help=speak._("e.g. the number of the document issued"))
    event.set_defaults(func=cmd_event)


def cmd_seed(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    try:
        with session_scope(engine) as session:
            report = seed(session, args.data)
    except SeedError as error:
        print(str(error), file=sys.stderr)
        return 2
    print("\n".join(report.lines(speak, speak._("Nothing changed: the database already matches data/."))))
    return 0


def cmd_units(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    ensure_seeded(engine)
    with Session(engine) as session:
        units = session.exec(select(Unit).order_by(col(Unit.kind), col(Unit.code))).all()
    width = max(len(u.code) for u in units)
    codes = {unit.id: unit.code for unit in units}
    for unit in units:
        history = [speak._("earlier {name}, until {date}", name=entry["name"],
                           date=speak.date(date.fromisoformat(entry["until"]))) for entry in unit.former_names]
        if unit.ended_on is not None:
            history.append(speak._("merged into {code} from {date}", code=codes.get(unit.successor_id, "?"),
                                   date=speak.date(unit.ended_on)))
        said = f" ({'; '.join(history)})" if history else ""
        print(f"{unit.code:<{width}}  {unit.kind:<12}  {unit.name}{said}")
    print(speak._("{n} units", n=len(units)))
    return 0


def cmd_tasks(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    ensure_seeded(engine)
    today = settings.now().date()
    year = args.year or (args.on or today).year
    on = args.on or min(today, date(year, 12, 31))
    with Session(engine) as session:
        if args.unit:
            unit = unit_coded(session, args.unit, speak)
            if unit is None:
                return 2
            print(speak._("Tasks of {unit} in {year}, as of {date}:", unit=unit.name, year=year, date=speak.date(on)))
            items = unit_year(session, unit.id or 0, year, on, settings.zone)
            plans = {p.id: p.key for p in session.exec(select(Plan).where(
                col(Plan.id).in_({item.task.plan_id for item in items})))}
            for item in items:
                role = speak._("lead") if item.is_lead else speak._("cooperating")
                standing = f"{role} · {describe_status(speak, item)}"
                if len(plans) > 1:  # codes repeat across plans: each task says its own
                    standing = f"{plans[item.task.plan_id]} · {standing}"
                _print_task(speak, item.task, describe_deadlines(speak, item), standing)
            return 0
        years = task_years(session, year)
    idle = [t.task.code for t in years.values() if not t.active]
    for task_year in (t for t in years.values() if t.active):
        dates = [speak.date(d.due) for d in task_year.dated]
        if task_year.waits_for_event:
            dates.insert(0, speak._("waiting for an event"))
        dates.append(speak._("{date} (annual report)", date=speak.date(task_year.annual.due)))
        _print_task(speak, task_year.task, ", ".join(dates), "")
    if idle:
        print(speak._("Nothing due in {year}: {codes}", year=year, codes=", ".join(idle)))
    return 0


def _print_task(speak: Lang, task: Task, dates: str, note: str) -> None:
    print(f"{task.code:<6} " + speak._("due: {dates}", dates=dates) + (f"  [{note}]" if note else ""))
    print(f"       {task.content[:150]}")
    print("       " + speak._("schedule as written: {text}", text=task.schedule_text))


def cmd_event(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    ensure_seeded(engine)
    with session_scope(engine) as session:
        tasks = {t.code.lower(): t for t in event_tasks(session)}
        task = tasks.get(args.task.lower())
        if task is None:
            print(speak._("{code} is not a task that waits for an event.", code=args.task), file=sys.stderr)
            return 2
        if not 1 <= args.days <= 366:
            print(speak._("The number of days must be between 1 and {max}.", max=366), file=sys.stderr)
            return 2
        event = record_event(session, task, args.date or settings.now().date(), args.days, None, args.note)
        due = event.occurred_on + timedelta(days=event.days_allowed)
    print(speak._("Recorded: the event for task {code} happened on {date}; the units have {days} days, until {due}. "
                  "Reminders will follow that deadline.", code=task.code, date=speak.date(event.occurred_on),
                  days=args.days, due=speak.date(due)))
    return 0
