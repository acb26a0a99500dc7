"""Across the turn of the year: what Sở KH&CN returns in December and the unit revises in January stays in the
year it revises, and while last year's report is still open, `/capnhat` and `/baocaonam` offer that year — what
a January reminder of it asks for can be done."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.runtime.conversation import Conversation
from bot.settings import Settings
from models import AnnualReport, ProgressUpdate
from models.organisation import Role
from tests.conftest import Chat, invite


class Clock:
    """The province's local time, moved by the test as the months go by."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def member(conversation: Conversation, engine: Engine, unit: str, user_id: str, role: Role = Role.OFFICER) -> Chat:
    chat = Chat(conversation, user_id=user_id)
    chat.say(f"/start {invite(engine, unit, role)}")
    return chat


def sends_the_annual_report_with_nothing_new(officer: Chat) -> str:
    officer.say("/baocaonam")
    for answer in ("1", "không", "không"):
        officer.say(answer)
    return officer.say("gửi")


def annual_reports(engine: Engine) -> list[tuple[int, str, int | None]]:
    with Session(engine) as session:
        return [(r.id or 0, r.period, r.resubmits_id)
                for r in session.exec(select(AnnualReport).order_by(col(AnnualReport.id)))]


def updates(engine: Engine) -> list[tuple[int, str, str, int | None]]:
    with Session(engine) as session:
        return [(u.id or 0, u.period, u.status, u.resubmits_id)
                for u in session.exec(select(ProgressUpdate).where(col(ProgressUpdate.annual_report_id).is_(None))
                                      .order_by(col(ProgressUpdate.id)))]


def test_an_annual_report_returned_in_december_and_revised_in_january_stays_in_its_year(
        engine: Engine, settings: Settings) -> None:
    clock = Clock(datetime(2025, 11, 10, 9, 30))
    conversation = Conversation(engine, settings, clock=clock)
    officer = member(conversation, engine, "21040", "501")
    manager = member(conversation, engine, "SKHCN", "601", Role.MANAGER)
    assert "Đã nhận báo cáo năm 2025" in sends_the_annual_report_with_nothing_new(officer)
    clock.now = datetime(2026, 11, 16, 9, 30)
    assert "Đã nhận báo cáo năm 2026" in sends_the_annual_report_with_nothing_new(officer)
    clock.now = datetime(2026, 12, 1, 10, 0)
    assert "Đã trả lại đơn vị" in manager.say("/duyet tralai a2 Bổ sung kết quả tuyên truyền")

    clock.now = datetime(2027, 1, 4, 8, 45)
    opened = officer.say("/sualai")  # alone: the one return still open, last year's
    assert "Bổ sung kết quả tuyên truyền" in opened
    assert "Đã nhận báo cáo năm 2026" in officer.say("gửi")
    assert annual_reports(engine) == [(1, "2025", None), (2, "2026", None), (3, "2026", 2)]
    assert "không có báo cáo nào bị Sở KH&CN trả lại" in officer.say("/sualai")


def test_an_update_returned_in_december_and_revised_in_january_stays_in_its_year(
        engine: Engine, settings: Settings) -> None:
    clock = Clock(datetime(2026, 12, 1, 9, 30))
    conversation = Conversation(engine, settings, clock=clock)
    officer = member(conversation, engine, "21040", "501")
    manager = member(conversation, engine, "SKHCN", "601", Role.MANAGER)
    # 2025's report was never sent, but its reminders ended in January: nothing of 2025 is asked for now
    assert "Tình hình thực hiện nhiệm vụ?" in officer.say("/capnhat I.2")
    for answer in ("1", "Đã tuyên truyền", "3", "/boqua"):
        officer.say(answer)
    assert "Đã lưu: cập nhật u1" in officer.say("1")
    assert "Đã trả lại đơn vị" in manager.say("/duyet tralai u1 Ghi rõ số tin bài")

    clock.now = datetime(2027, 1, 4, 8, 45)
    officer.say("/sualai u1")
    assert "I.2 năm 2026" in officer.say("1")
    assert updates(engine) == [(1, "2026", "done", None), (2, "2026", "done", 1)]


def test_in_january_capnhat_and_baocaonam_offer_last_year_while_its_report_is_open(
        engine: Engine, settings: Settings) -> None:
    clock = Clock(datetime(2027, 1, 6, 9, 0))
    conversation = Conversation(engine, settings, clock=clock)
    officer = member(conversation, engine, "21040", "501")  # sent no report for 2026: overdue, still reminded

    asked = officer.say("/capnhat I.2")
    assert "Báo cáo này thuộc năm nào?" in asked and officer.buttons() == ["2026 (báo cáo năm còn mở)", "2027"]
    officer.say("1")
    for answer in ("1", "Đã tuyên truyền", "3", "/boqua"):
        officer.say(answer)
    assert "I.2 năm 2026" in officer.say("1")
    assert [period for _, period, _, _ in updates(engine)] == ["2026"]

    officer.say("/baocaonam")
    opening = officer.say("2026 (báo cáo năm còn mở)")
    assert "Báo cáo năm 2026 của UBND xã Bình Sơn" in opening
    for answer in ("1", "không", "không"):
        officer.say(answer)
    assert "Đã nhận báo cáo năm 2026" in officer.say("gửi")

    asked = officer.say("/capnhat I.2")  # 2026 is reported now: this year only, asked no more
    assert "thuộc năm nào" not in asked and "Tình hình thực hiện nhiệm vụ?" in asked
    officer.say("/huy")

    clock.now = datetime(2027, 3, 2, 9, 0)  # another unit that never reported 2026: its reminders ended in January
    other = member(conversation, engine, "21211", "502")
    assert "Tình hình thực hiện nhiệm vụ?" in other.say("/capnhat I.2")
