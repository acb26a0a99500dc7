"""Personal data and secrets (Nghị định 13/2023/NĐ-CP): no invitation code in clear anywhere, nothing kept
longer than it serves, no SQL parameter in an error, the database and its backups readable by the owner only,
and `restore` refusing to pull the database from under a running bot."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import stat
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from bot.runtime.conversation import Conversation
from bot.runtime.logs import HIDDEN, JsonLines, Redact, describe_error
from bot.runtime.presence import Presence
from bot.runtime.retention import prune
from handlers.registration import normalise_code
from models import EvidenceFile, FormState, InboundUpdate, OfferedChoice, Outbox, init_db, make_engine
from models.db import utcnow
from models.organisation import Role
from tests.cli import cli
from tests.conftest import Chat, add_member
from tests.databases import BACKEND
from tests.test_maintenance import run


def everything_stored(engine: Engine) -> str:
    """Every row of every table, as text: what a copied database or a backup would show."""
    with engine.connect() as connection:
        return "\n".join(str(row) for table in SQLModel.metadata.sorted_tables
                         for row in connection.execute(table.select()))


def test_no_invitation_code_is_stored_in_clear_anywhere(conversation: Conversation, engine: Engine) -> None:
    add_member(engine, "SKHCN", 9001, role=Role.ADMIN, channel="test")
    admin = Chat(conversation, user_id="9001")
    code = admin.say("/moi 21040 can bo").splitlines()[1]
    assert "đăng ký thành công" in Chat(conversation, user_id="newcomer").say(code)
    stored = everything_stored(engine)
    assert code not in stored and normalise_code(code) not in stored
    with Session(engine) as session:  # what a crash would resend in its place
        replies = [r for row in session.exec(select(InboundUpdate.replies)) for r in row]
    assert not any(code in r["text"] for r in replies)


def test_a_reply_holding_a_code_is_resent_after_a_crash_without_it(conversation: Conversation,
                                                                   engine: Engine) -> None:
    add_member(engine, "SKHCN", 9001, role=Role.ADMIN, channel="test")
    entry = asyncio.run(conversation.store(Chat(conversation, user_id="9001").incoming("/moi 21040")))
    assert entry is not None
    sent = conversation.process(entry)  # processed, then the process dies before the reply goes out
    assert "Mã mời cho UBND xã Bình Sơn" in sent[0].text
    from bot.runtime.journal import stored_replies
    [kept] = stored_replies(engine, entry)
    assert kept.text.startswith("Đã tạo lời mời cho UBND xã Bình Sơn; mã không được lưu lại")


def test_handled_messages_keep_no_text_and_old_ones_are_pruned(officer: Chat, engine: Engine) -> None:
    officer.say("/capnhat I.2")
    officer.say("Hoàn thành")
    officer.say("Đã tuyên truyền trên loa phường, số điện thoại 0905 123 456")
    with Session(engine) as session:  # the answer is in the open form only, not in the journal
        journal = session.exec(select(InboundUpdate.incoming)).all()
        form = session.exec(select(FormState.answers)).one()
    assert journal and all("text" not in row and "name" not in row for row in journal)
    assert "0905 123 456" in str(form) and "0905 123 456" not in str(journal)

    with Session(engine) as session:  # a month and more later
        session.exec(update(InboundUpdate).values(received_at=utcnow() - timedelta(days=31)))  # type: ignore[call-overload]
        session.exec(update(OfferedChoice).values(created_at=utcnow() - timedelta(days=31)))  # type: ignore[call-overload]
        session.exec(update(Outbox).values(created_at=utcnow() - timedelta(days=31)))  # type: ignore[call-overload]
        session.commit()
    pruned = prune(engine, keep_days=30)
    assert pruned.journal == len(journal) and pruned.outbox > 0
    with Session(engine) as session:
        assert session.exec(select(InboundUpdate)).all() == []
        assert all(row.text == "" and row.chat_id == "" for row in session.exec(select(Outbox)))  # keys kept


def test_files_no_report_holds_are_pruned_after_a_day_but_not_those_of_an_open_form(officer: Chat,
                                                                                    engine: Engine) -> None:
    from handlers.machinery.evidence import store
    with Session(engine) as session:
        loose = store(session, b"%PDF-1.4 cancelled form", "a.pdf")
        held = store(session, b"%PDF-1.4 open form", "b.pdf")
        assert isinstance(loose, EvidenceFile) and isinstance(held, EvidenceFile)
        session.commit()
        loose_id, held_id = loose.id, held.id
    officer.say("/capnhat I.2")
    with Session(engine) as session:
        state = session.exec(select(FormState)).one()
        state.answers = {**state.answers, "files": [held_id]}
        session.add(state)
        session.exec(update(EvidenceFile).values(received_at=utcnow() - timedelta(days=2)))  # type: ignore[call-overload]
        session.commit()
    assert prune(engine, keep_days=30).files == 1
    with Session(engine) as session:
        assert session.get(EvidenceFile, loose_id) is None and session.get(EvidenceFile, held_id) is not None


def test_a_database_error_is_logged_and_kept_without_the_values_it_was_given(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(Exception) as raised:
        session.execute(text("INSERT INTO member (unit_id, role, language, display_name) VALUES "
                             "(:unit, :role, :language, :name)"),
                        {"unit": 999_999, "role": "officer", "language": "vi", "name": "Nguyễn Thị Riêng Tư"})
        session.commit()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(Redact([]))
    handler.setFormatter(JsonLines())
    log = logging.getLogger("tdc.test-values")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.error("handler failed", exc_info=raised.value)
    finally:
        log.removeHandler(handler)
    assert "IntegrityError" in stream.getvalue() and "Nguyễn Thị Riêng Tư" not in stream.getvalue()
    assert "Nguyễn Thị Riêng Tư" not in describe_error(raised.value)  # what the journal keeps of a failure


def test_a_short_secret_is_hidden_too() -> None:
    assert Redact(["ab1"]).hide("token ab1 in a URL") == f"token {HIDDEN} in a URL"


@pytest.mark.skipif(BACKEND != "sqlite", reason="file modes are the SQLite file's; PostgreSQL keeps its own")
def test_the_database_and_its_backups_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        url = f"sqlite:///{tmp_path / 'new' / 'tdc.sqlite3'}"
        engine = make_engine(url)
        init_db(engine)
        engine.dispose()
        backup = tmp_path / "backup.sqlite3"
        result = run(url, "backup", "--output", str(backup))
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    for path in (tmp_path / "new" / "tdc.sqlite3", backup):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_restore_refuses_while_a_bot_runs_on_the_database(db_url: str, engine: Engine, tmp_path: Path) -> None:
    if BACKEND == "postgresql" and not subprocess.run(["which", "pg_dump"], capture_output=True).returncode == 0:
        pytest.skip("pg_dump is not installed")
    backup = tmp_path / "before.backup"
    assert run(db_url, "backup", "--output", str(backup)).returncode == 0
    with Presence(engine):
        refused = run(db_url, "restore", str(backup), "--yes")
    assert refused.returncode == 2 and "Bot đang chạy trên cơ sở dữ liệu này" in refused.stderr
    assert run(db_url, "restore", str(backup), "--yes").returncode == 0


def test_a_backup_is_readable_by_its_owner_only_from_its_first_byte(db_url: str, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy is written into a file already private: never a moment when another account could read it."""
    import shutil
    import sqlite3

    import bot.cli.maintenance as maintenance

    if BACKEND == "postgresql" and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")

    backup = tmp_path / "nightly" / "tdc.backup"
    modes: list[int] = []

    def seen() -> None:
        modes.append(stat.S_IMODE(backup.stat().st_mode) if backup.exists() else -1)

    class WatchedSqlite:
        def connect(self, path: object) -> sqlite3.Connection:
            if Path(str(path)) == backup:
                seen()
            return sqlite3.connect(path)  # type: ignore[arg-type]

    pg_tool = maintenance._pg_tool

    def watched_pg_tool(*args: str) -> bool:
        seen()
        return pg_tool(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(maintenance, "sqlite3", WatchedSqlite())
    monkeypatch.setattr(maintenance, "_pg_tool", watched_pg_tool)
    old = os.umask(0o022)
    try:
        made = cli(db_url, "backup", "--output", str(backup))
    finally:
        os.umask(old)
    assert made.returncode == 0, made.stderr
    assert modes == [0o600] and stat.S_IMODE(backup.stat().st_mode) == 0o600
