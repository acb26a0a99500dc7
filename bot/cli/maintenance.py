"""The administrator's maintenance commands: the schema (`db`), backups, pruning, the audit log, roles.

Backups: SQLite through its online backup API (consistent while the bot keeps writing); PostgreSQL through
pg_dump/pg_restore in their custom format, which must be installed beside the bot (Debian:
postgresql-client). The recipe by hand is in docs/operations.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col, select

from bot.runtime.presence import bot_running
from bot.runtime.retention import prune
from bot.settings import Settings
from handlers.machinery import audit
from locales import Lang
from models import AuditLog, Member
from models.db import libpq_url, owner_only
from models.migrate import current, head, upgrade
from models.organisation import Role

Command = Callable[[argparse.Namespace, Settings, Engine, Lang], int]


def add_commands(sub: Any, speak: Lang) -> None:
    db = sub.add_parser("db", help=speak._("the database schema: upgrade it, or show its version"))
    db.add_argument("action", choices=["upgrade", "current"], help=speak._(
        "upgrade: apply the migrations this version brings (back up first); current: show the versions"))
    db.set_defaults(func=cmd_db)

    backup = sub.add_parser("backup", help=speak._("write a consistent copy of the database, while the bot runs"))
    backup.add_argument("--output", metavar="PATH", help=speak._("where to write it (default: var/backups/)"))
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help=speak._("replace the database with a backup (stop the bot first)"))
    restore.add_argument("path", metavar="PATH", help=speak._("the backup file"))
    restore.add_argument("--yes", action="store_true", help=speak._("confirm: the current data is replaced"))
    restore.add_argument("--force", action="store_true", help=speak._("restore even though a bot is running on "
                                                                      "this database"))
    restore.set_defaults(func=cmd_restore)

    prune = sub.add_parser("prune", help=speak._("delete what is no longer needed: the handled messages and sent "
                                                 "notices older than TDC_KEEP_DAYS, files no report holds"))
    prune.add_argument("--days", type=int, metavar="N", help=speak._("keep the last N days (default: "
                                                                     "TDC_KEEP_DAYS)"))
    prune.set_defaults(func=cmd_prune)

    log = sub.add_parser("audit", help=speak._("print the audit log: who changed what, and when"))
    log.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD", help=speak._("from this day (UTC)"))
    log.add_argument("--actor", help=speak._("only this actor, e.g. member:12 or cli"))
    log.add_argument("--action", help=speak._("only this action, e.g. update.saved"))
    log.add_argument("--limit", type=int, default=200, help=speak._("at most this many lines, newest last"))
    log.set_defaults(func=cmd_audit)

    role = sub.add_parser("role", help=speak._("change a member's role"))
    role.add_argument("--member", type=int, required=True, help=speak._("the member's number (see: members)"))
    role.add_argument("--role", choices=[r.value for r in Role], required=True, help=speak._("the new role"))
    role.set_defaults(func=cmd_role)


def cmd_db(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    if args.action == "upgrade":
        before = current(engine)
        upgrade(engine)
        print(speak._("Schema upgraded from {before} to {after}.", before=before or "-", after=current(engine)))
        return 0
    print(speak._("Database schema: {current}; this version of tdc-bot needs: {head}.",
                  current=current(engine) or "-", head=head()))
    return 0


def cmd_backup(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    sqlite = engine.dialect.name == "sqlite"
    path = Path(args.output or f"var/backups/tdc-{stamp}.{'sqlite3' if sqlite else 'pgdump'}")
    owner_only(path)  # created readable by its owner only before a byte of the copy is written
    if sqlite:
        with sqlite3.connect(_sqlite_path(settings)) as source, sqlite3.connect(path) as target:
            source.backup(target)
    elif not _pg_tool(speak, "pg_dump", "--format=custom", f"--file={path}", libpq_url(settings.database_url)):
        path.unlink(missing_ok=True)
        return 2
    print(speak._("Backup written: {path} ({size} kB).", path=path, size=path.stat().st_size // 1024))
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    source = Path(args.path)
    if not source.is_file():
        print(speak._("No backup file at {path}.", path=source), file=sys.stderr)
        return 2
    if not args.yes:
        print(speak._("Restoring replaces every record in the database with the backup's. Stop the bot, then "
                      "repeat the command with --yes."), file=sys.stderr)
        return 2
    if not args.force and bot_running(engine):
        print(speak._("A bot is running on this database: stop it first (or add --force if you are sure)."),
              file=sys.stderr)
        return 2
    engine.dispose()
    if engine.dialect.name == "sqlite":
        with sqlite3.connect(source) as backup, sqlite3.connect(_sqlite_path(settings)) as target:
            backup.backup(target)
    elif not _pg_tool(speak, "pg_restore", "--clean", "--if-exists", "--no-owner",
                      f"--dbname={libpq_url(settings.database_url)}", str(source)):
        return 2
    print(speak._("Restored from {path}. Schema: {current}.", path=source, current=current(engine) or "-"))
    return 0


def cmd_prune(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    days = args.days if args.days is not None else settings.keep_days
    if days < 1:
        print(speak._("Keep at least one day."), file=sys.stderr)
        return 2
    pruned = prune(engine, days)
    print(speak._("Deleted: {journal} handled messages, {buttons} old buttons of items already decided, {files} "
                  "files no report holds. Cleared the text of {outbox} sent notices (the record that each went out "
                  "is kept, so none is sent again).", **vars(pruned)))
    return 0


def cmd_audit(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    query = select(AuditLog).order_by(col(AuditLog.id).desc()).limit(args.limit)
    if args.since:
        query = query.where(col(AuditLog.at) >= datetime.combine(args.since, datetime.min.time()))
    if args.actor:
        query = query.where(AuditLog.actor == args.actor)
    if args.action:
        query = query.where(AuditLog.action == args.action)
    with Session(engine) as session:
        rows = list(reversed(session.exec(query).all()))
    for row in rows:
        detail = json.dumps(row.detail, ensure_ascii=False, sort_keys=True)
        print(f"{row.at:%Y-%m-%d %H:%M:%S}Z  {row.actor:<18} {row.action:<17} {row.subject:<22} {detail}")
    print(speak._("{n} entries", n=len(rows)))
    return 0


def cmd_role(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    with Session(engine) as session:
        member = session.get(Member, args.member)
        if member is None:
            print(speak._("No member has the number {n}. See: python -m bot members", n=args.member), file=sys.stderr)
            return 2
        before = member.role
        member.role = args.role
        audit.record(session, audit.CLI, "role.changed", f"member:{member.id}", before=before, after=args.role)
        session.commit()
    print(speak._("Member {n}: role {before} → {after}.", n=args.member, before=before, after=args.role))
    return 0


def _sqlite_path(settings: Settings) -> str:
    return str(make_url(settings.database_url).database)


def _pg_tool(speak: Lang, tool: str, *args: str) -> bool:
    if shutil.which(tool) is None:
        print(speak._("{tool} is not installed (Debian: apt install postgresql-client).", tool=tool), file=sys.stderr)
        return False
    result = subprocess.run([tool, *args], capture_output=True, text=True)
    if result.returncode != 0:  # its message may name the database, never our tokens
        print(result.stderr.strip(), file=sys.stderr)
    return result.returncode == 0
