"""The administrator's side: schema migrations, backups that restore every update, the audit log, roles,
and logs that never show a secret."""

from __future__ import annotations

import io
import json
import logging
import shutil
import subprocess
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from bot.runtime.logs import HIDDEN, JsonLines, Redact
from models import Member, ProgressUpdate, UpdateInForce, make_engine
from models.migrate import head, upgrade
from tests.cli import cli
from tests.conftest import Chat
from tests.databases import BACKEND, Databases

ROOT = Path(__file__).resolve().parents[1]


def run(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS`, in this process (tests/cli.py)."""
    return cli(db_url, *args)


def test_the_migrations_build_exactly_the_tables_the_models_declare(databases: Databases) -> None:
    url = databases.empty()
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_a_database_behind_is_refused_until_upgraded(databases: Databases) -> None:
    url = databases.empty()
    engine = make_engine(url)
    upgrade(engine, "0001")  # as an installation of the previous version left it
    engine.dispose()
    refused = run(url, "units")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (f"Cơ sở dữ liệu đang ở phiên bản lược đồ 0001; phiên bản tdc-bot này cần {head()}. "
                                      "Hãy sao lưu (python -m bot backup), rồi chạy: python -m bot db upgrade")
    assert run(url, "db", "current").stdout.strip() == f"Lược đồ cơ sở dữ liệu: 0001; phiên bản tdc-bot này cần: {head()}."
    upgraded = run(url, "db", "upgrade")
    assert upgraded.stdout.strip() == f"Đã nâng cấp lược đồ từ 0001 lên {head()}."
    assert "113 đơn vị" in run(url, "units").stdout


@pytest.mark.skipif(BACKEND == "postgresql" and shutil.which("pg_dump") is None, reason="pg_dump is not installed")
def test_a_backup_restores_every_update(officer: Chat, db_url: str, engine: Engine, tmp_path: Path) -> None:
    for task in ("III.2", "I.2", "V.1"):
        officer.say(f"/capnhat {task}")
        officer.say("khong phat sinh")
        officer.say("/boqua")
        officer.say("/boqua")
        officer.press("Lưu")
    before = updates(engine)
    assert len(before) == 3
    backup = tmp_path / "tdc.backup"
    made = run(db_url, "backup", "--output", str(backup))
    assert made.returncode == 0 and made.stdout.startswith(f"Đã ghi bản sao lưu: {backup}"), made.stderr

    with Session(engine) as session:  # the records are lost
        session.exec(delete(UpdateInForce))  # type: ignore[call-overload]
        session.exec(delete(ProgressUpdate))  # type: ignore[call-overload]
        session.commit()
    engine.dispose()
    assert "--yes" in run(db_url, "restore", str(backup)).stderr  # asks to confirm first
    restored = run(db_url, "restore", str(backup), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert updates(engine) == before


def updates(engine: Engine) -> list[tuple[int, str, str, int]]:
    with Session(engine) as session:
        return [(u.id or 0, u.status, u.period, u.member_id) for u in
                session.exec(select(ProgressUpdate).order_by(ProgressUpdate.id))]


def test_the_audit_log_tells_who_changed_what(officer: Chat, db_url: str, engine: Engine) -> None:
    officer.say("/capnhat III.2")
    officer.say("khong phat sinh")
    officer.say("/boqua")
    officer.say("/boqua")
    officer.press("Lưu")
    with Session(engine) as session:
        member_id = session.exec(select(func.max(Member.id))).one()
    changed = run(db_url, "role", "--member", str(member_id), "--role", "viewer")
    assert changed.stdout.strip() == f"Thành viên {member_id}: vai trò officer → viewer."
    lines = run(db_url, "audit").stdout.splitlines()
    assert [line.split()[2:4] for line in lines[:-1]] == [
        ["cli", "invite.created"], [f"member:{member_id}", "invite.used"],
        [f"member:{member_id}", "update.saved"], ["cli", "role.changed"]]
    assert '"task": "III.2"' in lines[2] and '"status": "not_arisen"' in lines[2]
    assert lines[-1] == "4 mục"
    assert "Trần Thị Bình" not in "\n".join(lines)  # ids, never names
    only = run(db_url, "audit", "--action", "update.saved").stdout.splitlines()
    assert len(only) == 2 and "update.saved" in only[0]
    assert run(db_url, "role", "--member", "99999", "--role", "admin").returncode == 2


def test_logs_are_json_lines_without_secrets() -> None:
    token = "123456:AAH-very-secret-token"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(Redact([token, "hook-secret-42"]))
    handler.setFormatter(JsonLines())
    log = logging.getLogger("tdc.test-redaction")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("HTTP Request: POST https://api.telegram.org/bot%s/getUpdates", token, extra={"member": 12})
        try:
            raise ValueError(f"bad secret hook-secret-42 in {token}")
        except ValueError:
            log.exception("failed", extra={"url": f"https://x/bot{token}/send"})
    finally:
        log.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    first, second = json.loads(lines[0]), json.loads("\n".join(lines[1:]))
    assert first["event"] == f"HTTP Request: POST https://api.telegram.org/bot{HIDDEN}/getUpdates"
    assert first["member"] == 12 and first["level"] == "warning"
    assert second["url"] == f"https://x/bot{HIDDEN}/send" and "ValueError: bad secret [hidden] in [hidden]" in second["error"]
    assert token not in stream.getvalue() and "hook-secret-42" not in stream.getvalue()
