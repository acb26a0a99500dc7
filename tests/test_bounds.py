"""Every date a person types is bounded, and no date in the database — even one stored before it was —
takes a view, a reminder or a report down."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.runtime.conversation import Conversation
from handlers.notices import scan, simulate
from jobs.calendar import CALENDAR
from jobs.policy import DEFAULT_POLICY
from locales import lang
from models import Assignment, Extension, Task, Unit
from models.organisation import Role
from models.plan import ExtensionState
from reports.chart import chart
from reports.docx import draft
from reports.summary import summarise
from reports.xlsx import workbook
from tests.conftest import NOW, Chat, invite


def test_an_extension_reaches_at_most_two_years_ahead_and_an_absence_a_year(officer: Chat) -> None:
    officer.say("/giahan")
    officer.say("1")
    assert "Ngày muộn nhất có thể là 15/10/2027." in officer.say("31/12/9999")
    assert "Lý do?" in officer.say("15/10/2027")
    assert "Ngày muộn nhất có thể là 15/10/2026." in officer.say("/vangmat 16/10/2026")
    assert "bạn vắng mặt đến hết ngày 15/10/2026" in officer.say("/vangmat 15/10/2026")


def test_a_date_stored_far_in_the_future_takes_nothing_down(conversation: Conversation, officer: Chat,
                                                            engine: Engine) -> None:
    with Session(engine) as session:  # an extension to 31/12/9999, approved before dates were bounded
        unit = session.exec(select(Unit).where(Unit.code == "21040")).one()
        unit_id = unit.id or 0
        task = session.exec(select(Task).where(Task.code == "I.1")).one()
        assignment = session.exec(select(Assignment).where(Assignment.unit_id == unit.id,
                                                           Assignment.task_id == task.id)).one()
        session.add(Extension(assignment_id=assignment.id, period="2025", until=date(9999, 12, 31), reason="x",
                              asked_by_member_id=1, asked_at=NOW, state=ExtensionState.APPROVED))
        session.commit()
    manager = Chat(conversation, user_id="601")
    manager.say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")
    assert "I.1" in officer.say("/nhiemvu")
    assert officer.say("/nhacnho")
    assert "UBND xã Bình Sơn" in manager.say("/baocao chua")
    assert "I.1" in manager.say("/baocao binh son")
    with Session(engine) as session:
        assert scan(session, NOW, DEFAULT_POLICY, CALENDAR) >= 0
        days = simulate(session, date(2025, 10, 1), date(2025, 12, 31), DEFAULT_POLICY, CALENDAR, {unit_id},
                        unregistered=True)
        assert days
        summary = summarise(session, 2025, NOW.date())
        assert workbook(summary, lang("vi")) and draft(summary, lang("vi")) and chart(summary, lang("vi"))
