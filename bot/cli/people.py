"""People: `invite` (one-time codes, one or many with their letters), `members` and `link` (one person's
registrations on two channels made one member)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.cli.arguments import bounded, unit_coded
from bot.cli.golive import KINDS, issue, revoke, units_wanted
from bot.cli.seed import ensure_seeded
from bot.settings import Settings
from handlers.machinery import audit
from handlers.members import CannotLink, link, remove_member
from handlers.onboarding import headline, on_board
from handlers.registration import create_invite, pretty_code
from locales import Lang, lang
from models import ChannelAccount, Member, Unit, session_scope
from models.db import owner_only
from models.organisation import Role
from reports.invitations import Invitation, invitation_letters, invitation_workbook

INVITE_DAYS = 90  # an invitation is handed out within weeks; a code valid longer is a password left lying about


def add_invite(sub: Any, speak: Lang) -> None:
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


def add_members(sub: Any, speak: Lang) -> None:
    members = sub.add_parser("members", help=speak._("list the registered members and their channels"))
    members.add_argument("--unit", metavar="CODE", help=speak._("only this unit"))
    members.add_argument("--missing", action="store_true", help=speak._("instead, the units nobody is registered in"))
    members.add_argument("--remove", type=int, metavar="N", help=speak._(
        "a member who leaves: their reports stay; the unit's reminders go to the others"))
    members.set_defaults(func=cmd_members)


def add_link(sub: Any, speak: Lang) -> None:
    link = sub.add_parser("link", help=speak._("merge one person's registrations on two channels into one member"))
    link.add_argument("--member", type=int, required=True, help=speak._("the member to merge (it disappears)"))
    link.add_argument("--into", type=int, required=True, help=speak._("the member that remains"))
    link.set_defaults(func=cmd_link)


def cmd_invite(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    ensure_seeded(engine)
    if not args.unit or args.revoke:
        return _invite_many(args, settings, engine, speak)
    with session_scope(engine) as session:
        unit = unit_coded(session, args.unit, speak)
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


def telegram_username(settings: Settings) -> str | None:
    if settings.telegram_token is None:
        return None
    url = f"{settings.telegram_api_url}{settings.telegram_token.get_secret_value()}/getMe"
    try:
        return str(httpx.get(url, timeout=10).json()["result"]["username"])
    except (httpx.HTTPError, KeyError, ValueError):
        return None  # never print the URL: it holds the token


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
