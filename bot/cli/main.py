"""The admin's command line. Every command opens the database named by TDC_DATABASE_URL, creates it if new and
refuses it if its schema is behind (`db upgrade` excepted); the maintenance commands are in bot/cli/maintenance.py."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from collections.abc import Callable
from typing import Any

import httpx
from tqdm import tqdm
from babel.dates import format_date
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.runtime.conversation import Conversation
from bot.runtime.logs import setup as setup_logs
from bot.cli.maintenance import add_commands as add_maintenance
from bot.cli.plan import add_commands as add_plans
from bot.cli.review import add_commands as add_review
from bot.runtime.scheduler import ReminderCycle
from bot.runtime.sender import Sender
from bot.cli.seed import ensure_seeded, seed
from bot.settings import Settings
from handlers.assignments import describe_deadlines, describe_status
from handlers.events import event_tasks, record_event
from bot.cli.golive import KINDS, issue, revoke, units_wanted
from handlers import audit
from handlers.members import CannotLink, link, remove_member
from handlers.onboarding import headline, on_board
from handlers.registration import create_invite, pretty_code
from handlers.notices import scan, simulate
from jobs.calendar import CALENDAR
from jobs.policy import DEFAULT_POLICY
from jobs.year import task_years, unit_year
from locales import Lang, lang
from models import ChannelAccount, Member, Plan, Task, Unit, init_db, make_engine, session_scope
from models.db import owner_only
from models.migrate import SchemaBehind
from models.organisation import Role
from reports.chart import chart
from reports.docx import Signer, draft
from reports.evidence import archive
from reports.invitations import Invitation, invitation_letters, invitation_workbook
from reports.summary import summarise
from reports.xlsx import workbook

INVITE_DAYS = 90  # an invitation is handed out within weeks; a code valid longer is a password left lying about


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


def bounded(speak: Lang, least: int, most: int) -> Callable[[str], int]:
    """An argparse type: a whole number from `least` to `most`, anything else refused with the range."""
    def number(text: str) -> int:
        value = int(text) if text.strip().lstrip("-").isdecimal() and len(text) < 12 else None
        if value is None or not least <= value <= most:
            raise argparse.ArgumentTypeError(speak._("{value} is not a number from {least} to {most}", value=text,
                                                     least=least, most=most))
        return value
    return number


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
    tasks.add_argument("--on", type=date.fromisoformat, metavar="YYYY-MM-DD", help=speak._(
        "the day the standings are taken on (default: today; for a past year, its last day)"))
    tasks.set_defaults(func=cmd_tasks)

    invite = sub.add_parser("invite", help=speak._(
        "create one-time invitation codes: for one unit, or for many at once with a workbook and a letter per unit"))
    which = invite.add_mutually_exclusive_group(required=True)
    which.add_argument("--unit", metavar="CODE", help=speak._("one unit's code (see: units): the code is printed"))
    which.add_argument("--all", action="store_true", help=speak._("every unit that has nobody registered and no "
                                                                  "valid code yet"))
    which.add_argument("--kind", choices=sorted(KINDS), help=speak._("the same, for one kind of unit"))
    which.add_argument("--units", metavar="CODE,CODE", help=speak._("the same, for these units"))
    invite.add_argument("--role", choices=[r.value for r in Role], default=Role.OFFICER.value,
                        help=speak._("the member's role (default: officer)"))
    invite.add_argument("--days", type=bounded(speak, 1, INVITE_DAYS), default=14, metavar="N", help=speak._(
        "days before the code expires, 1 to {most} (default: 14)", most=INVITE_DAYS))
    invite.add_argument("--reissue", action="store_true", help=speak._(
        "also units already invited or on board: their unused codes are revoked and new ones made"))
    invite.add_argument("--revoke", action="store_true", help=speak._(
        "instead of creating codes, make the unused codes of these units stop working"))
    invite.add_argument("--output-dir", metavar="DIR", default="var/invitations", help=speak._(
        "where the workbook and the letters go (default: var/invitations)"))
    invite.set_defaults(func=cmd_invite)

    remind = sub.add_parser("remind", help=speak._(
        "run one reminder cycle now: write what is due to the outbox and send it (a Telegram or Zalo token is "
        "needed to send)"))
    remind.add_argument("--now", type=datetime.fromisoformat, metavar="YYYY-MM-DDTHH:MM",
                        help=speak._("pretend it is this local time (default: now)"))
    remind.set_defaults(func=cmd_remind)

    simulate = sub.add_parser("simulate", help=speak._("print day by day what would be sent, without sending"))
    simulate.add_argument("--from", dest="start", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD")
    simulate.add_argument("--to", dest="end", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD")
    simulate.add_argument("--unit", metavar="CODE", help=speak._("only this unit"))
    simulate.add_argument("--plan", metavar="KEY", help=speak._("only this plan's reminders (see: plans)"))
    simulate.set_defaults(func=cmd_simulate)

    event = sub.add_parser("event", help=speak._("record the event an event-triggered task waits for"))
    event.add_argument("--task", required=True, metavar="CODE", help=speak._("the task, e.g. III.3"))
    event.add_argument("--days", type=int, required=True, help=speak._("days the units have after the event"))
    event.add_argument("--date", type=date.fromisoformat, metavar="YYYY-MM-DD",
                       help=speak._("when the event happened (default: today)"))
    event.add_argument("--note", default="", help=speak._("e.g. the number of the document issued"))
    event.set_defaults(func=cmd_event)

    report = sub.add_parser("report", help=speak._("write the year's consolidated report as a file"))
    report.add_argument("--year", type=int, help=speak._("the year (default: this year)"))
    report.add_argument("--format", choices=["xlsx", "docx", "png", "zip"], default="xlsx", help=speak._(
        "the kind of file: the workbook, the Word draft, the chart, or the year's evidence files (zip)"))
    report.add_argument("--output", metavar="PATH", help=speak._("where to write it (default: var/exports/)"))
    report.add_argument("--plan", metavar="KEY", help=speak._("only this plan (see: plans); default: every plan"))
    report.set_defaults(func=cmd_report)

    members = sub.add_parser("members", help=speak._("list the registered members and their channels"))
    members.add_argument("--unit", metavar="CODE", help=speak._("only this unit"))
    members.add_argument("--missing", action="store_true", help=speak._("instead, the units nobody is registered in"))
    members.add_argument("--remove", type=int, metavar="N", help=speak._(
        "a member who leaves: their reports stay; the unit's reminders go to the others"))
    members.set_defaults(func=cmd_members)

    link = sub.add_parser("link", help=speak._("merge one person's registrations on two channels into one member"))
    link.add_argument("--member", type=int, required=True, help=speak._("the member to merge (it disappears)"))
    link.add_argument("--into", type=int, required=True, help=speak._("the member that remains"))
    link.set_defaults(func=cmd_link)

    add_maintenance(sub, speak)
    add_review(sub, speak)
    add_plans(sub, speak)

    console = sub.add_parser("console", help=speak._("chat with the bot in this terminal"))
    console.add_argument("--unit", metavar="CODE", help=speak._(
        "chat as an officer of this unit; without it you are a newcomer who types an invitation code"))
    console.set_defaults(func=cmd_console)
    return parser


def cmd_seed(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    with session_scope(engine) as session:
        report = seed(session)
    print("\n".join(report.lines(speak, speak._("Nothing changed: the database already matches data/."))))
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
    today = settings.now().date()
    year = args.year or (args.on or today).year
    on = args.on or min(today, date(year, 12, 31))
    with Session(engine) as session:
        if args.unit:
            unit = _unit(session, args.unit, speak)
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


WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")


def cmd_invite(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    ensure_seeded(engine)
    if not args.unit or args.revoke:
        return _invite_many(args, settings, engine, speak)
    with session_scope(engine) as session:
        unit = _unit(session, args.unit, speak)
        if unit is None:
            return 2
        code, invite = create_invite(session, unit, Role(args.role), timedelta(days=args.days))  # audited as "cli"
    print(speak._("Invitation for {unit} ({role}), valid until {date}:", unit=unit.name, role=args.role,
                  date=invite.expires_at.strftime("%d/%m/%Y %H:%M UTC")))
    print(f"  {pretty_code(code)}")
    username = telegram_username(settings)
    if username:
        print(f"  https://t.me/{username}?start={code}")
    else:
        print(speak._("  (set TDC_TELEGRAM_TOKEN to also get a t.me link; the code can be typed to the bot)"))
    return 0


def _invite_many(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    """Codes for many units, written to a workbook and a Word letter per unit (the codes appear nowhere else).
    The files are written before the codes are committed: a folder that cannot be written leaves no code
    stored (none that nobody could hand out) and revokes nothing."""
    codes = [args.unit] if args.unit else [c.strip() for c in (args.units or "").split(",") if c.strip()]
    folder = Path(args.output_dir)
    written: list[Path] = []
    try:
        with session_scope(engine) as session:
            units, unknown = units_wanted(session, args.all, args.kind, codes)
            if unknown:
                print(speak._("No unit has the code {code}. See: python -m bot units", code=", ".join(unknown)),
                      file=sys.stderr)
                return 2
            if args.revoke:
                revoked = sum(revoke(session, unit) for unit in units)
                print(speak._("{n} unused invitation codes revoked.", n=revoked))
                return 0
            made, on_board, pending = issue(session, units, Role(args.role), args.days, telegram_username(settings),
                                            args.reissue)
            if made:
                written = _write_invitations(folder, made, settings)
    except OSError as error:
        for path in written:  # the codes were not stored: letters holding them would mislead
            path.unlink(missing_ok=True)
        print(speak._("The invitations could not be written to {folder} ({error}). No code was created and none "
                      "revoked; choose another folder with --output-dir.", folder=folder,
                      error=error.strerror or error), file=sys.stderr)
        return 2
    if on_board or pending:
        print(speak._("Not invited again: {on_board} units have someone registered, {pending} an unused code still "
                      "valid (--reissue to replace them).", on_board=len(on_board), pending=len(pending)))
    if not made:
        print(speak._("No new invitation was needed."))
        return 0
    book, letters = written
    print(speak._("{n} invitation codes created, valid {days} days:\n  {book}\n  {letters}\nThey appear nowhere "
                  "else: hand them out, then keep the files safe.", n=len(made), days=args.days, book=book,
                  letters=letters))
    return 0


def _write_invitations(folder: Path, made: list[Invitation], settings: Settings) -> list[Path]:
    """The workbook and the letters, each readable by its owner only from its first byte (the codes work as
    passwords until used)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    book, letters = folder / f"ma-moi-{stamp}.xlsx", folder / f"thu-moi-{stamp}.docx"
    contents = {book: invitation_workbook(made, lang("vi")),
                letters: invitation_letters(made, lang("vi"), settings.zalo_bot_name)}
    written: list[Path] = []
    try:
        for path, content in contents.items():
            owner_only(path)  # created empty with mode 600 (its folder too), then filled
            written.append(path)
            path.write_bytes(content)
    except OSError:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written


def progress(**options: Any) -> tqdm:  # type: ignore[type-arg]
    """A progress bar on the terminal for work over many units (tqdm), on standard error, and none when the
    output is not a terminal (cron, a pipe, the tests)."""
    return tqdm(file=sys.stderr, disable=None, leave=False, **options)


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
    if settings.telegram_token is None and settings.zalo_token is None:
        with Session(engine) as session:
            demo = session.exec(select(Unit).where(Unit.kind == "commune").order_by(col(Unit.name))).first()
        assert demo is not None
        print(speak._("TDC_TELEGRAM_TOKEN is not set: opening the console chat as {unit} "
                      "(another unit: python -m bot console --unit CODE).", unit=demo.name))
        return cmd_console(argparse.Namespace(unit=demo.code), settings, engine, speak)
    if settings.telegram_webhook_url and settings.webhook_secret is None:
        print(speak._("Webhook mode needs TDC_WEBHOOK_SECRET: the platforms send it with every call, and calls "
                      "without it are refused."), file=sys.stderr)
        return 2
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if settings.telegram_webhook_url and not WEBHOOK_SECRET.fullmatch(secret):
        # Zalo takes 8 to 256 characters, Telegram letters, digits, "_" and "-": one secret serves both.
        print(speak._("TDC_WEBHOOK_SECRET must be 16 to 256 letters, digits, \"_\" or \"-\" (both platforms "
                      "accept those); for example: python3 -c \"import secrets; print(secrets.token_urlsafe(32))\""),
              file=sys.stderr)
        return 2
    from bot.runtime.presence import Presence
    from bot.service import serve

    mode = speak._("webhook mode on {listen}", listen=settings.listen) if settings.telegram_webhook_url \
        else speak._("long polling")
    channels = " + ".join(name for name, token in (("Telegram", settings.telegram_token),
                                                   ("Zalo", settings.zalo_token)) if token)
    print(speak._("Starting on {channels} ({mode}).", channels=channels, mode=mode))
    with Presence(engine):  # `restore` refuses while this is held
        asyncio.run(serve(engine, settings))
    return 0


def cmd_remind(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    ensure_seeded(engine)
    now = args.now or settings.now()
    return asyncio.run(_remind(settings, engine, speak, now))


async def _remind(settings: Settings, engine: Engine, speak: Lang, now: datetime) -> int:
    from bot.service import delivery_channels

    async with delivery_channels(settings) as channels:
        if not channels:
            with session_scope(engine) as session:
                queued = scan(session, now, DEFAULT_POLICY, CALENDAR)
            print(speak._("{n} messages written to the outbox; set TDC_TELEGRAM_TOKEN or TDC_ZALO_TOKEN to send "
                          "them.", n=queued))
            return 0
        with progress(unit=speak._("messages")) as bar:
            sender = Sender(engine, channels, workers=settings.send_workers, on_sent=bar.update)
            cycle = ReminderCycle(engine, sender, lambda: now, keep_days=settings.keep_days)
            if not cycle.open_now(now):
                print(speak._("{time} is outside office hours or not a working day: nothing is sent.",
                              time=now.strftime("%d/%m/%Y %H:%M")))
                return 0
            bar.set_description(speak._("sending"))
            queued, report = await cycle.run(now)
    print(speak._("New messages: {queued}. Sent: {sent}; unreachable: {unreachable}; still waiting: {left}.",
                  queued=queued, sent=report.sent, unreachable=report.unreachable, left=report.left))
    with Session(engine) as session:
        board = on_board(session)
    if board.nobody:  # never silently skipped
        print(speak._("{n} units have nobody registered: their reminders cannot be delivered. Invite them: "
                      "python -m bot invite --all", n=len(board.nobody)))
    return 0


def cmd_simulate(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    """What `remind` would send each working day at the policy's hour, assuming nobody reports meanwhile."""
    ensure_seeded(engine)
    with Session(engine) as session:
        unit_ids = plan_ids = None
        if args.unit:
            unit = _unit(session, args.unit, speak)
            if unit is None:
                return 2
            unit_ids = {unit.id or 0}
        if args.plan:
            plan = _plan(session, args.plan, speak)
            if plan is None:
                return 2
            plan_ids = {plan.id or 0}
        for line in simulate_lines(session, args.start, args.end, speak, unit_ids, plan_ids):
            print(line)
    return 0


def simulate_lines(session: Session, start: date, end: date, speak: Lang, unit_ids: set[int] | None,
                   plan_ids: set[int] | None = None) -> list[str]:
    members = {m.id: m.display_name for m in session.exec(select(Member)).all()}
    units = {u.id: u.name for u in session.exec(select(Unit)).all()}
    lines: list[str] = []
    last_day: date | None = None
    with progress(total=(end - start).days + 1, unit=speak._("days")) as bar:
        found = simulate(session, start, end, DEFAULT_POLICY, CALENDAR, unit_ids, unregistered=True,
                         plan_ids=plan_ids, on_day=lambda day: bar.update())
    for day, message in found:
        if day != last_day:
            lines.append(format_date(day, "EEEE dd/MM/yyyy", locale=speak.code).capitalize())
            last_day = day
        who = f"{members[message.member_id]} (#{message.member_id})" if message.member_id \
            else speak._("nobody registered")
        lines.append(f"  {message.kind:<8} {units[message.unit_id]} → {who}: {message.text.splitlines()[0]}")
    return lines or [speak._("Nothing would be sent in this period.")]


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
        plan = _plan(session, args.plan, speak) if args.plan else None
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


def cmd_members(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    ensure_seeded(engine)
    if args.remove is not None:
        with session_scope(engine) as session:
            gone = remove_member(session, args.remove, audit.CLI)
        if gone is None:
            print(speak._("No member has the number {n}. See: python -m bot members", n=args.remove), file=sys.stderr)
            return 2
        print(speak._("Member {n} removed: their reports stay; {unit}'s reminders go to its other members.",
                      n=args.remove, unit=gone.name))
        return 0
    if args.missing:
        with Session(engine) as session:
            board = on_board(session)
        print(headline(speak, board))
        for unit in board.nobody:
            print(f"  {unit.code:<7} {unit.name}")
        return 0
    with Session(engine) as session:
        query = select(Member, Unit).join(Unit, col(Unit.id) == Member.unit_id).order_by(col(Member.id))
        if args.unit:
            query = query.where(Unit.code == args.unit)
        accounts: dict[int, list[str]] = {}
        for account in session.exec(select(ChannelAccount)).all():
            state = speak._("blocked") if account.blocked else account.last_seen_at.strftime("%d/%m/%Y")
            accounts.setdefault(account.member_id, []).append(f"{account.channel}:{account.external_id} ({state})")
        rows = session.exec(query).all()
    for member, unit in rows:
        print(f"#{member.id:<5} {unit.code:<7} {member.role:<8} {member.display_name[:30]:<30} "
              + ", ".join(accounts.get(member.id or 0, [])))
    print(speak._("{n} members", n=len(rows)))
    return 0


def cmd_link(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    try:
        with session_scope(engine) as session:
            moved = link(session, args.member, args.into)
    except CannotLink as error:
        print(speak._(error.msgid, **error.values), file=sys.stderr)
        return 2
    print(speak._("Member {a} is now part of member {b}: {n} channel accounts moved.", a=args.member, b=args.into,
                  n=moved))
    return 0


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


def _plan(session: Session, key: str, speak: Lang) -> Plan | None:
    plan = session.exec(select(Plan).where(Plan.key == key)).first()
    if plan is None:
        print(speak._("No plan has the key {key}. See: python -m bot plans", key=key), file=sys.stderr)
    return plan


def _unit(session: Session, code: str, speak: Lang) -> Unit | None:
    unit = session.exec(select(Unit).where(Unit.code == code)).first()
    if unit is None:
        print(speak._("No unit has the code {code}. See: python -m bot units", code=code), file=sys.stderr)
    return unit
