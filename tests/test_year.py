"""One picture of a unit's year: on a day before, on and after each kind of deadline, a lead unit and a
cooperating unit see the same standing in /nhiemvu, /baocao (by unit and by task), the workbook, the Word
draft, `python -m bot tasks` and the managers' overdue digest."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.cli.main import main as cli
from bot.runtime.conversation import Conversation
from bot.settings import Settings
from handlers.events import record_event
from handlers.notices import digest_messages, simulate
from jobs.calendar import CALENDAR
from jobs.policy import DEFAULT_POLICY
from jobs.year import STANDING_LABELS, Standing, save_update, standing_text, task_years, year_of
from locales import lang
from models import Assignment, ProgressUpdate, Task, Unit, make_engine, session_scope
from models.organisation import Role
from reports.docx import SHORT, UNREPORTED_MARK, draft
from reports.summary import summarise
from reports.xlsx import workbook
from tests.conftest import Chat, add_member, all_returned
from tests.databases import Databases

VI = lang("vi")
OFFICERS = {"SKHCN": 9001, "STC": 9002}  # Sở KH&CN leads most tasks; Sở Tài chính cooperates on many
MANAGER = 9003


@dataclass(frozen=True)
class Case:
    task: str
    unit: str
    role: str
    day: date
    expected: Standing
    reported: bool = False

    def __str__(self) -> str:
        return f"{self.task}-{self.unit}-{self.day.isoformat()}-{self.expected.value}"


CASES = [
    # once (I.1: Quý III/2025; every department leads it)
    Case("I.1", "SKHCN", "lead", date(2025, 9, 30), Standing.PENDING),
    Case("I.1", "SKHCN", "lead", date(2025, 10, 1), Standing.OVERDUE),
    # once + annual report (II.3): the lead is held to 30/09/2025, a cooperating unit to the annual report only
    Case("II.3", "SKHCN", "lead", date(2025, 10, 15), Standing.OVERDUE),
    Case("II.3", "STC", "cooperating", date(2025, 10, 15), Standing.PENDING),
    Case("II.3", "STC", "cooperating", date(2025, 11, 19), Standing.PENDING),
    Case("II.3", "STC", "cooperating", date(2025, 11, 20), Standing.OVERDUE),
    # yearly (I.3: Quý II hàng năm, by 30/06)
    Case("I.3", "SKHCN", "lead", date(2026, 6, 29), Standing.PENDING),
    Case("I.3", "SKHCN", "lead", date(2026, 6, 30), Standing.PENDING),
    Case("I.3", "SKHCN", "lead", date(2026, 7, 1), Standing.OVERDUE),
    Case("I.3", "STC", "cooperating", date(2026, 7, 1), Standing.PENDING, reported=True),
    Case("I.3", "STC", "cooperating", date(2026, 11, 20), Standing.OVERDUE, reported=True),
    # the annual report alone (I.2 led by Sở KH&CN; I.4 reported done in March)
    Case("I.2", "SKHCN", "lead", date(2026, 11, 19), Standing.PENDING),
    Case("I.2", "SKHCN", "lead", date(2026, 11, 20), Standing.OVERDUE),
    Case("I.4", "SKHCN", "lead", date(2026, 11, 27), Standing.DONE_ON_TIME, reported=True),
    # event-triggered: III.3's event recorded (due 01/04/2026), II.2 and IV.2 still waiting
    Case("III.3", "SKHCN", "lead", date(2026, 4, 1), Standing.PENDING),
    Case("III.3", "SKHCN", "lead", date(2026, 4, 2), Standing.OVERDUE),
    Case("III.3", "STC", "cooperating", date(2026, 4, 2), Standing.PENDING),
    Case("II.2", "SKHCN", "lead", date(2026, 11, 27), Standing.AWAITING_EVENT),
    Case("IV.2", "STC", "cooperating", date(2026, 11, 27), Standing.AWAITING_EVENT),
]


def _report(engine: Engine, unit: str, task: str, status: str, at: datetime) -> None:
    with session_scope(engine) as session:
        assignment = session.exec(select(Assignment).join(Task).join(Unit).where(
            Task.code == task, Unit.code == unit)).one()
        save_update(session, ProgressUpdate(assignment_id=assignment.id, period=str(at.year), status=status,
                                            percent=40 if status == "in_progress" else None, result="…",
                                            member_id=_member(session, unit), channel="test", created_at=at))


def _member(session: Session, unit: str) -> int:
    from models import Member

    return session.exec(select(Member.id).join(Unit).where(Unit.code == unit)).first() or 0


@pytest.fixture(scope="module")
def year_engine(databases: Databases) -> Iterator[Engine]:
    url = databases.copy()
    engine = make_engine(url)
    for code, chat_id in OFFICERS.items():
        add_member(engine, code, chat_id, channel="test")
    add_member(engine, "SKHCN", MANAGER, role=Role.MANAGER, channel="telegram")
    with session_scope(engine) as session:
        record_event(session, session.exec(select(Task).where(Task.code == "III.3")).one(), date(2026, 3, 2), 30, None)
    _report(engine, "SKHCN", "I.4", "done", datetime(2026, 3, 10, 3, 0))
    _report(engine, "STC", "I.3", "in_progress", datetime(2026, 5, 5, 3, 0))
    yield engine
    all_returned(engine)
    engine.dispose()
    databases.drop(url)


def _chat(engine: Engine, url: str, day: date, user_id: int) -> Chat:
    settings = Settings(database_url=url, _env_file=None)
    return Chat(Conversation(engine, settings, clock=lambda: datetime.combine(day, time(9, 30))),
                user_id=str(user_id), channel="test" if user_id != MANAGER else "telegram")


def _from_my_tasks(text: str, code: str) -> str:
    entry = next(e for e in text.split("\n\n") if e.startswith(f"{code}. "))
    return entry.rsplit(" · ", 1)[1].split(" — ")[0]


def _line(text: str, head: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"• {head}: ")).split(": ", 1)[1].split(" — ")[0]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_every_view_gives_the_same_standing(case: Case, year_engine: Engine, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    engine = year_engine
    url = engine.url.render_as_string(hide_password=False)
    expected = standing_text(VI, case.expected, case.reported)
    with Session(engine) as session:
        unit = session.exec(select(Unit).where(Unit.code == case.unit)).one()
        rows = [r for r in year_of(session, case.day.year, case.day) if r.unit.code == case.unit and r.task.code == case.task]
        summary = summarise(session, case.day.year, case.day)
        book, document = workbook(summary, VI), draft(summary, VI)  # the updates stream from this session
        digest = digest_messages(session, case.day)[0].text
    assert [r.role for r in rows] == [case.role], "the case names the unit's real role"

    officer = _chat(engine, url, case.day, OFFICERS[case.unit])
    assert _from_my_tasks(officer.say("/nhiemvu"), case.task) == expected
    manager = _chat(engine, url, case.day, MANAGER)
    assert _line(manager.say(f"/baocao {unit.name}"), case.task) == expected
    assert _line(manager.say(f"/baocao {case.task}"), unit.name) == expected

    sheet = load_workbook(io.BytesIO(book), read_only=True)["Giao nhiệm vụ"]
    row = next(r for r in sheet.iter_rows(values_only=True) if r[0] == case.unit and r[2] == case.task)
    assert row[5] == VI._(STANDING_LABELS[case.expected]) and (row[6] is None) == case.reported

    table = Document(io.BytesIO(document)).tables[-1]
    column = [c.text for c in table.rows[0].cells].index(case.task)
    line = next(r for r in table.rows if r.cells[0].text == unit.name)
    assert line.cells[column].text == SHORT[case.expected] + ("" if case.reported else UNREPORTED_MARK)

    monkeypatch.setenv("TDC_DATABASE_URL", url)
    assert cli(["tasks", "--unit", case.unit, "--on", case.day.isoformat()]) == 0
    printed = capsys.readouterr().out
    listed = re.search(rf"^{re.escape(case.task)} +.*\[(.*)\]$", printed, re.MULTILINE)
    assert listed is not None and listed.group(1).split(" · ", 1)[1].split(" — ")[0] == expected

    assert (case.task in _overdue_in_digest(digest, unit.name, case.day.year)) == (case.expected is Standing.OVERDUE)


def _overdue_in_digest(digest: str, unit: str, year: int) -> set[str]:
    """The codes the digest lists as overdue for the unit with a deadline in `year` ("I.3, II.1 (hạn 30/06/2026)")."""
    line = next((l for l in digest.splitlines() if l.startswith(f"• {unit}: ")), "")
    return {code for codes, due in re.findall(r"(?:: |; )([^;(]+) \(hạn \d\d/\d\d/(\d{4})\)", line)
            if int(due) == year for code in codes.split(", ")}


def test_a_cooperating_unit_is_reminded_of_the_annual_report_only(year_engine: Engine) -> None:
    """I.3 is due by 30/06 for its lead, Sở KH&CN; Sở Tài chính cooperates and hears only of 19/11. (Their
    officers chat on the test channel, which cannot be pushed to: `simulate` shows what their units would get.)"""
    with Session(year_engine) as session:
        units = {u.code: u.id or 0 for u in session.exec(select(Unit).where(Unit.code.in_(OFFICERS)))}  # type: ignore[attr-defined]
        sent = simulate(session, date(2026, 6, 1), date(2026, 11, 30), DEFAULT_POLICY, CALENDAR,
                        set(units.values()), unregistered=True)
    lead = [m.text for _, m in sent if m.kind == "reminder" and m.unit_id == units["SKHCN"]]
    cooperating = [m.text for _, m in sent if m.kind == "reminder" and m.unit_id == units["STC"]]
    assert any("30/06/2026" in text and "I.3" in text for text in lead)
    assert cooperating and not any("30/06/2026" in text for text in cooperating)
    assert all("19/11/2026" in text for text in cooperating)


def test_a_task_changed_after_its_year_was_read_is_read_anew(engine: Engine) -> None:
    """Tasks are made and stood once per distinct row, in the process: an edit (a plan imported again, a
    deadline corrected) is a different row, so the very next read sees it."""
    today = date(2025, 10, 15)
    with session_scope(engine) as session:
        before = {t.task.code: t for t in task_years(session, 2025).values()}
        task = session.exec(select(Task).where(Task.code == "III.2")).one()
        task.content, task.schedule_rules = "Nội dung đã sửa", [{"kind": "once", "due": "2025-12-15"}]
        session.add(task)
    with session_scope(engine) as session:
        after = {t.task.code: t for t in task_years(session, 2025).values()}
        items = [i for i in year_of(session, 2025, today) if i.task.code == "III.2"]
    assert before["III.2"].task.content != "Nội dung đã sửa"
    assert after["III.2"].task.content == "Nội dung đã sửa"
    assert [d.due for d in after["III.2"].dated] == [date(2025, 12, 15)]
    assert items and {i.task.content for i in items} == {"Nội dung đã sửa"}
    assert after["I.1"] is before["I.1"]  # what did not change is not made again
