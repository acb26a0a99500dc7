"""The year's report on a commune officer's phone, over the Zalo stand-in, every message counted: a year with
nothing new is five messages, the department with the most tasks as many, a typical year a dozen; nothing
already known is asked again, nothing typed is lost, and the act is named ("Gửi")."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.runtime.conversation import Conversation
from bot.settings import Settings
from models import AnnualReport, Assignment, ProgressUpdate, Task, Unit
from models.organisation import Role
from models.progress import Status
from tests.conftest import invite
from tests.test_decisions import member_of
from tests.fake_zalo import FakeZalo
from tests.test_zalo_phone import Phone, polling

NOTHING_NEW_AIM, DEPARTMENT_AIM, TYPICAL_AIM = 5, 8, 15


def statuses_of(engine: Engine, unit: str, report_id: int) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.exec(select(Task.code, ProgressUpdate.status)
                            .join(Assignment, col(Assignment.id) == ProgressUpdate.assignment_id)
                            .join(Task, col(Task.id) == Assignment.task_id)
                            .join(Unit, col(Unit.id) == Assignment.unit_id)
                            .where(Unit.code == unit, ProgressUpdate.annual_report_id == report_id)).all()
    return dict(rows)


def reports(engine: Engine) -> list[AnnualReport]:
    with Session(engine) as session:
        return list(session.exec(select(AnnualReport).order_by(col(AnnualReport.id))).all())


async def nothing_new(phone: Phone) -> str:
    """The whole year when nothing happened: open, "nothing new", no difficulty, no proposal, send."""
    opening = await phone.say("/baocaonam")
    assert "1. Không có gì mới" in opening
    await phone.say("1")
    await phone.say("không")
    summary = await phone.say("không")
    assert "Gửi báo cáo năm này cho Sở KH&CN?\n1. Gửi" in summary
    return await phone.say("gửi")


async def test_a_commune_with_nothing_new_reports_its_year_in_five_messages(engine: Engine,
                                                                            settings: Settings) -> None:
    with FakeZalo() as fake:
        async with polling(fake, engine, settings) as send:
            officer = Phone(fake, "zalo-binh-son", send)
            await officer.say(invite(engine, "21040"))
            officer.sent = officer.received = 0
            receipt = await nothing_new(officer)
    assert "Đã nhận báo cáo năm 2025 của UBND xã Bình Sơn" in receipt
    assert officer.sent == NOTHING_NEW_AIM and officer.received == NOTHING_NEW_AIM
    [report] = reports(engine)
    stored = statuses_of(engine, "21040", report.id or 0)
    assert stored and set(stored.values()) == {Status.NOT_ARISEN}


async def test_the_department_with_the_most_tasks_reports_nothing_new_as_briefly(engine: Engine,
                                                                                 settings: Settings) -> None:
    with FakeZalo() as fake:
        async with polling(fake, engine, settings) as send:
            department = Phone(fake, "zalo-skhcn", send)
            await department.say(invite(engine, "SKHCN"))
            department.sent = 0
            opening = await department.say("/baocaonam")
            assert "Báo cáo năm 2025 của Sở Khoa học và Công nghệ" in opening
            assert "Chưa báo cáo, đơn vị chủ trì: I.1, I.2" in opening and "Chờ sự kiện, chưa phải báo cáo" in opening
            for answer in ("tat ca khong phat sinh", "không", "-"):
                await department.say(answer)
            assert "Đã nhận báo cáo năm 2025" in await department.say("gui")
    assert department.sent <= DEPARTMENT_AIM


async def test_a_typical_commune_year_keeps_what_was_reported_and_asks_only_the_news(engine: Engine,
                                                                                    settings: Settings) -> None:
    with FakeZalo() as fake:
        async with polling(fake, engine, settings) as send:
            officer = Phone(fake, "zalo-typical", send)
            await officer.say(invite(engine, "21040"))
            for update in (("/capnhat III.2", "1", "Cử 4 công chức đi học", "40", "không", "1"),
                           ("/capnhat V.1", "60%", "Đã kiểm tra 2 cơ sở", "2", "0", "0", "không", "1")):
                for answer in update:
                    await officer.say(answer)
            officer.sent = officer.received = 0

            opening = await officer.say("/baocaonam")
            assert "Đã báo cáo trong năm, giữ nguyên:\n  – III.2: " in opening
            assert "\n  – V.1: " in opening and "Đang thực hiện (60%)" in opening and "“Đã kiểm tra 2 cơ sở”" in opening
            listed = await officer.say("2")
            assert "Nhiệm vụ nào có kết quả mới?" in listed and "(chủ trì)" in listed and "(phối hợp)" in listed
            status = await officer.say("I.2")
            assert "Nhiệm vụ I.2 (chủ trì), 1/1" in status
            await officer.say("hoan thanh")
            figures = await officer.say("Đăng 12 tin bài trên cổng thông tin xã")
            assert "Số tin, bài, ấn phẩm tuyên truyền" in figures
            await officer.say("12")
            await officer.say("không")
            summary = await officer.say("Đề nghị tập huấn cho cán bộ xã")
            assert "2 nhiệm vụ giữ nguyên như đã báo cáo" in summary and "nhiệm vụ: không phát sinh" in summary
            assert "(bỏ qua)" in summary and summary.count("\n•") <= 8  # what changed, the rest counted
            assert "Đã nhận báo cáo năm 2025" in await officer.say("xong")
    assert officer.sent <= TYPICAL_AIM
    [report] = reports(engine)
    stored = statuses_of(engine, "21040", report.id or 0)
    assert stored["I.2"] == Status.DONE and "III.2" not in stored and "V.1" not in stored  # kept as they stood
    assert report.tasks_kept == 2 and report.proposals == "Đề nghị tập huấn cho cán bộ xã"


async def test_no_question_after_nothing_arisen_and_a_percentage_at_the_status(engine: Engine,
                                                                              settings: Settings) -> None:
    with FakeZalo() as fake:
        async with polling(fake, engine, settings) as send:
            officer = Phone(fake, "zalo-quick", send)
            await officer.say(invite(engine, "21040"))
            await officer.say("/baocaonam")
            await officer.say("2")
            await officer.say("I.2, iii.2")
            after_nothing = await officer.say("khong phat sinh")
            assert "Kết quả đã thực hiện" not in after_nothing and "Nhiệm vụ III.2 (chủ trì), 2/2" in after_nothing
            assert "Kết quả đã thực hiện" in await officer.say("60%")  # in progress, 60 %, in one message
            await officer.say("Đã cử 2 công chức")
            await officer.say("30")
            await officer.say("không")
            await officer.say("không")
            assert "Đã nhận báo cáo năm 2025" in await officer.say("gửi")
    [report] = reports(engine)
    with Session(engine) as session:
        update = session.exec(select(ProgressUpdate).where(ProgressUpdate.annual_report_id == report.id,
                                                           ProgressUpdate.percent == 60)).one()
    assert (update.status, update.result) == (Status.IN_PROGRESS, "Đã cử 2 công chức")


async def test_typing_the_command_again_half_way_goes_on_and_loses_nothing(engine: Engine,
                                                                           settings: Settings) -> None:
    with FakeZalo() as fake:
        async with polling(fake, engine, settings) as send:
            officer = Phone(fake, "zalo-resume", send)
            await officer.say(invite(engine, "21040"))
            await officer.say("/baocaonam")
            await officer.say("2")
            await officer.say("1, 2")
            await officer.say("1")
            await officer.say("Đã tổ chức hội nghị quán triệt")
            await officer.say("2")  # conferences held: I.1's figure
            again = await officer.say("/baocaonam")
            assert "đang làm dở" in again and "Nhiệm vụ I.2 (chủ trì), 2/2" in again
            await officer.say("4")
            await officer.say("không")
            summary = await officer.say("không")
            assert "Đã tổ chức hội nghị quán triệt" in summary
            fresh = await officer.say("/baocaonam lamlai")  # asked for: a new start
            assert "1. Không có gì mới" in fresh
            await officer.say("/huy")
    assert reports(engine) == []


def test_a_returned_annual_report_reopens_with_every_answer_and_is_sent_again(conversation: Conversation,
                                                                             engine: Engine) -> None:
    officer = member_of(conversation, engine, "21040", "501")
    manager = member_of(conversation, engine, "SKHCN", "601", Role.MANAGER)
    for answer in ("/baocaonam", "2", "I.2", "1", "Đăng 12 tin bài", "12", "không", "không"):
        officer.say(answer)
    assert "Đã nhận báo cáo năm 2025" in officer.say("Gửi")
    [sent] = reports(engine)
    assert "Đã trả lại đơn vị" in manager.say(f"/duyet tralai a{sent.id} Ghi rõ tên cổng thông tin")
    reopened = officer.say(f"/sualai a{sent.id}")
    assert "Ghi rõ tên cổng thông tin" in reopened and "• I.2 · Kết quả: Đăng 12 tin bài" in reopened
    assert "nhiệm vụ: không phát sinh" not in reopened  # every task the report answered is answered again
    officer.say("Sửa một câu trả lời")
    officer.say("I.2 · Kết quả")
    officer.say("Đăng 12 tin bài trên cổng thông tin điện tử xã")
    assert "Đã nhận báo cáo năm 2025" in officer.say("gửi")
    first, revision = reports(engine)
    assert revision.resubmits_id == first.id
    assert statuses_of(engine, "21040", revision.id or 0) == statuses_of(engine, "21040", first.id or 0)
