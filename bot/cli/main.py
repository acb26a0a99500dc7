"""The admin's command line, `python -m bot COMMAND`. Every command opens the database named by
TDC_DATABASE_URL, creates it if new and refuses it if its schema is behind (`db upgrade` excepted). Each module
of this package registers its own commands; this one puts them in the order `--help` lists them."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from bot.cli import data, maintenance, people, plan, report, review, running
from bot.runtime.logs import setup as setup_logs
from bot.settings import Settings
from locales import Lang, lang
from models import init_db, make_engine
from models.migrate import SchemaBehind

COMMANDS = (running.add_run, data.add_seed, data.add_units, data.add_tasks, people.add_invite, running.add_remind,
            running.add_simulate, data.add_event, report.add_report, people.add_members, people.add_link,
            maintenance.add_commands, review.add_commands, plan.add_commands, running.add_console)


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    speak = lang(settings.language)
    args = _parser(speak).parse_args(argv)
    setup_logs(settings, logging.INFO if args.command == "run" else logging.WARNING)
    engine = make_engine(settings.database_url)
    if args.command != "db":
        try:
            init_db(engine)
        except SchemaBehind as behind:
            print(speak._("The database is at schema version {current}; this version of tdc-bot needs {head}. "
                          "Back it up (python -m bot backup), then run: python -m bot db upgrade",
                          current=behind.current or "-", head=behind.head), file=sys.stderr)
            return 2
    try:
        return int(args.func(args, settings, engine, speak) or 0)
    except BrokenPipeError:  # `python -m bot tasks | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        return 0
    finally:
        engine.dispose()


def _parser(speak: Lang) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=speak._(
        "tdc-bot: reminders and progress reports for the plan on standards, metrology and quality."))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.set_defaults(func=running.cmd_run, command="run")
    for add in COMMANDS:
        add(sub, speak)
    return parser
