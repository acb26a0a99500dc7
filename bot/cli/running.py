"""Running the bot: `run` (the platforms, or the console chat without a token), `console`, `remind` (one
reminder cycle now) and `simulate` (what would be sent, day by day, sent nowhere)."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from datetime import date, datetime
from typing import Any

from babel.dates import format_date
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.cli.arguments import plan_keyed, unit_coded
from bot.cli.seed import ensure_seeded
from bot.cli.terminal import progress
from bot.runtime.conversation import Conversation
from bot.runtime.scheduler import ReminderCycle
from bot.runtime.sender import Sender
from bot.settings import Settings
from handlers.notices import scan, simulate
from handlers.onboarding import on_board
from jobs.calendar import CALENDAR
from jobs.policy import DEFAULT_POLICY
from locales import Lang
from models import Member, Unit, session_scope


def add_run(sub: Any, speak: Lang) -> None:
    sub.add_parser("run", help=speak._("run the bot: Telegram if TDC_TELEGRAM_TOKEN is set, else the console chat")
                   ).set_defaults(func=cmd_run)


def add_remind(sub: Any, speak: Lang) -> None:
    remind = sub.add_parser("remind", help=speak._(
        "run one reminder cycle now: write what is due to the outbox and send it (a Telegram or Zalo token is "
        "needed to send)"))
    remind.add_argument("--now", type=datetime.fromisoformat, metavar="YYYY-MM-DDTHH:MM",
                        help=speak._("pretend it is this local time (default: now)"))
    remind.set_defaults(func=cmd_remind)


def add_simulate(sub: Any, speak: Lang) -> None:
    simulate = sub.add_parser("simulate", help=speak._("print day by day what would be sent, without sending"))
    simulate.add_argument("--from", dest="start", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD")
    simulate.add_argument("--to", dest="end", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD")
    simulate.add_argument("--unit", metavar="CODE", help=speak._("only this unit"))
    simulate.add_argument("--plan", metavar="KEY", help=speak._("only this plan's reminders (see: plans)"))
    simulate.set_defaults(func=cmd_simulate)


def add_console(sub: Any, speak: Lang) -> None:
    console = sub.add_parser("console", help=speak._("chat with the bot in this terminal"))
    console.add_argument("--unit", metavar="CODE", help=speak._(
        "chat as an officer of this unit; without it you are a newcomer who types an invitation code"))
    console.set_defaults(func=cmd_console)


WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")


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


def cmd_console(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    from bot.channels.console import ensure_console_member, run_console

    ensure_seeded(engine)
    conversation = Conversation(engine, settings)
    user_id = "console"
    if args.unit:
        with Session(engine) as session:
            unit = unit_coded(session, args.unit, speak)
        if unit is None:
            return 2
        user_id = ensure_console_member(conversation, unit)
    run_console(conversation, user_id)
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
            unit = unit_coded(session, args.unit, speak)
            if unit is None:
                return 2
            unit_ids = {unit.id or 0}
        if args.plan:
            plan = plan_keyed(session, args.plan, speak)
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
