"""The admin's command line. Every command opens the database named by TDC_DATABASE_URL and creates it if new."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date, timedelta

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.conversation import Conversation
from bot.seed import SeedReport, seed
from bot.settings import Settings
from handlers.assignments import task_deadlines, unit_tasks
from handlers.registration import create_invite, pretty_code
from locales import Lang, lang
from models import Plan, Task, Unit, init_db, make_engine, session_scope
from models.organisation import Role


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    speak = lang(settings.language)
    args = _parser(speak).parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.command == "run" else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    engine = make_engine(settings.database_url)
    init_db(engine)
    return int(args.func(args, settings, engine, speak) or 0)


def _parser(speak: Lang) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=speak._(
        "tdc-bot: reminders and progress reports for the plan on standards, metrology and quality."))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.set_defaults(func=cmd_run, command="run")

    sub.add_parser("run", help=speak._("run the bot: Telegram if TDC_TELEGRAM_TOKEN is set, else the console chat")
                   ).set_defaults(func=cmd_run)
    sub.add_parser("seed", help=speak._("load the plan and the units from data/ (safe to repeat)")
                   ).set_defaults(func=cmd_seed)
    sub.add_parser("units", help=speak._("list the units with their codes")).set_defaults(func=cmd_units)

    tasks = sub.add_parser("tasks", help=speak._("list the tasks with their deadlines"))
    tasks.add_argument("--unit", metavar="CODE", help=speak._("only this unit's tasks"))
    tasks.add_argument("--year", type=int, help=speak._("the year (default: this year)"))
    tasks.set_defaults(func=cmd_tasks)

    invite = sub.add_parser("invite", help=speak._("create a one-time invitation code for a unit"))
    invite.add_argument("--unit", metavar="CODE", required=True, help=speak._("the unit's code (see: units)"))
    invite.add_argument("--role", choices=[r.value for r in Role], default=Role.OFFICER.value,
                        help=speak._("the member's role (default: officer)"))
    invite.add_argument("--days", type=int, default=14, help=speak._("days before the code expires (default: 14)"))
    invite.set_defaults(func=cmd_invite)

    console = sub.add_parser("console", help=speak._("chat with the bot in this terminal"))
    console.add_argument("--unit", metavar="CODE", help=speak._(
        "chat as an officer of this unit; without it you are a newcomer who types an invitation code"))
    console.set_defaults(func=cmd_console)
    return parser


def ensure_seeded(engine: Engine) -> SeedReport | None:
    """Seed on first run only; later changes to data/ are loaded with `python -m bot seed`."""
    with session_scope(engine) as session:
        if session.exec(select(Plan)).first() is not None:
            return None
        return seed(session)


def cmd_seed(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    with session_scope(engine) as session:
        report = seed(session)
    if not report.changed:
        print(speak._("Nothing changed: the database already matches data/."))
    for table, n in sorted(report.created.items()):
        print(speak._("{table}: {n} added", table=table, n=n))
    for table, n in sorted(report.updated.items()):
        print(speak._("{table}: {n} updated", table=table, n=n))
    return 0


def cmd_units(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    ensure_seeded(engine)
    with Session(engine) as session:
        units = session.exec(select(Unit).order_by(col(Unit.kind), col(Unit.code))).all()
    width = max(len(u.code) for u in units)
    for unit in units:
        print(f"{unit.code:<{width}}  {unit.kind:<12}  {unit.name}")
    print(speak._("{n} units", n=len(units)))
    return 0


def cmd_tasks(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    ensure_seeded(engine)
    year = args.year or settings.now().year
    with Session(engine) as session:
        if args.unit:
            unit = _unit(session, args.unit, speak)
            if unit is None:
                return 2
            items = unit_tasks(session, unit.id or 0, year)
            print(speak._("Tasks of {unit} in {year}:", unit=unit.name, year=year))
            for item in items:
                role = speak._("lead") if item.is_lead else speak._("cooperating")
                _print_task(speak, item.task, [d.due for d in item.deadlines], role)
            return 0
        rows = session.exec(select(Task, Plan).join(Plan, col(Plan.id) == Task.plan_id)
                            .order_by(col(Task.plan_id), col(Task.position))).all()
        for task, plan in rows:
            _print_task(speak, task, [d.due for d in task_deadlines(task, plan, year)], "")
    return 0


def _print_task(speak: Lang, task: Task, dues: list[date], role: str) -> None:
    dates = ", ".join(d.strftime("%d/%m/%Y") for d in dues) or speak._("waiting for an event")
    due = speak._("due: {dates}", dates=dates)
    print(f"{task.code:<6} {due}" + (f"  [{role}]" if role else ""))
    print(f"       {task.content[:150]}")
    print("       " + speak._("schedule as written: {text}", text=task.schedule_text))


def cmd_invite(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    ensure_seeded(engine)
    with session_scope(engine) as session:
        unit = _unit(session, args.unit, speak)
        if unit is None:
            return 2
        code, invite = create_invite(session, unit, Role(args.role), timedelta(days=args.days))
    print(speak._("Invitation for {unit} ({role}), valid until {date}:", unit=unit.name, role=args.role,
                  date=invite.expires_at.strftime("%d/%m/%Y %H:%M UTC")))
    print(f"  {pretty_code(code)}")
    username = telegram_username(settings)
    if username:
        print(f"  https://t.me/{username}?start={code}")
    else:
        print(speak._("  (set TDC_TELEGRAM_TOKEN to also get a t.me link; the code can be typed to the bot)"))
    return 0


def telegram_username(settings: Settings) -> str | None:
    if settings.telegram_token is None:
        return None
    url = f"{settings.telegram_api_url}{settings.telegram_token.get_secret_value()}/getMe"
    try:
        return str(httpx.get(url, timeout=10).json()["result"]["username"])
    except (httpx.HTTPError, KeyError, ValueError):
        return None  # never print the URL: it holds the token


def cmd_console(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    from bot.channels.console import ensure_console_member, run_console

    ensure_seeded(engine)
    conversation = Conversation(engine, settings)
    user_id = "console"
    if args.unit:
        with Session(engine) as session:
            unit = _unit(session, args.unit, speak)
        if unit is None:
            return 2
        user_id = ensure_console_member(conversation, unit)
    run_console(conversation, user_id)
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    report = ensure_seeded(engine)
    if report is not None:
        print(speak._("First run: the database was created and the plan and units were loaded."))
    if settings.telegram_token is None:
        with Session(engine) as session:
            demo = session.exec(select(Unit).where(Unit.kind == "commune").order_by(col(Unit.name))).first()
        assert demo is not None
        print(speak._("TDC_TELEGRAM_TOKEN is not set: opening the console chat as {unit} "
                      "(another unit: python -m bot console --unit CODE).", unit=demo.name))
        return cmd_console(argparse.Namespace(unit=demo.code), settings, engine, speak)
    from bot.channels.telegram import build_application

    print(speak._("Starting on Telegram (long polling)."))
    build_application(settings, Conversation(engine, settings)).run_polling()
    return 0


def _unit(session: Session, code: str, speak: Lang) -> Unit | None:
    unit = session.exec(select(Unit).where(Unit.code == code)).first()
    if unit is None:
        print(speak._("No unit has the code {code}. See: python -m bot units", code=code), file=sys.stderr)
    return unit
