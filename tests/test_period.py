"""The plan's years side by side: three years of reports (a return that never counts, an extension granted, a
year a unit did not report) read back from the period's workbook and its Word draft, each year's figures equal
to that year's own consolidation."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO

from docx import Document
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.runtime.conversation import Conversation
from bot.settings import Settings
from models.organisation import Role
from reports.summary import summarise
from tests.cli import cli
from tests.conftest import Chat
from tests.test_year_end import Clock, member


def trains(officer: Chat, share: str) -> None:
    """III.2 done, with the share of officials trained (a percentage)."""
    for answer in ("/capnhat III.2", "1", "Cử công chức đi học", share, "/boqua"):
        officer.say(answer)
    assert "Đã lưu" in officer.say("1")


def test_three_years_side_by_side_in_the_workbook_and_the_draft(engine: Engine, settings: Settings,
                                                                db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(datetime(2025, 10, 15, 9, 30))
    conversation = Conversation(engine, settings, clock=clock)
    binh_son = member(conversation, engine, "21040", "501")
    tinh_khe = member(conversation, engine, "21211", "502")
    manager = member(conversation, engine, "SKHCN", "601", Role.MANAGER)
    trains(binh_son, "40")  # u1, accepted
    trains(tinh_khe, "20")  # u2, returned: never a result
    assert "Đã tiếp nhận" in manager.say("/duyet nhan u1")
    assert "Đã trả lại" in manager.say("/duyet tralai u2 Ghi rõ số người được cử đi học")

    clock.now = datetime(2026, 3, 2, 9, 0)
    trains(binh_son, "45")  # u3
    manager.say("/duyet nhan u3")
    if "đến ngày nào" not in binh_son.say("/giahan"):  # the task is asked only when the unit has several
        binh_son.say("1")
    binh_son.say("15/12/2026")
    binh_son.say("Chờ kinh phí")
    assert "Đã gửi đề nghị số" in binh_son.say("1")
    assert "Đã đồng ý" in manager.say("/giahan dongy 1")

    clock.now = datetime(2027, 12, 15, 9, 0)  # Bình Sơn reports nothing in 2027
    opened = manager.say("/baocao 2025-2027")
    assert "• 2025: 1/113" in opened and "• 2027: 0/113" in opened
    workbook = load_workbook(BytesIO(_file(manager, "Bảng tính giai đoạn (Excel)")), read_only=True)
    figures = {(row[0], row[1]): row for row in workbook["Số liệu theo năm"].iter_rows(values_only=True)}
    share = figures[("III.2", "Tỷ lệ công chức, viên chức được tham gia đào tạo, cập nhật kiến thức")]
    with Session(engine) as session:
        yearly = {year: {f.key: f for f in summarise(session, year, date(year, 12, 31), history=False).figures()
                         if f.task_code == "III.2"}["staff_trained_share"] for year in (2025, 2026)}
    assert share[3:] == (35, "hằng năm", yearly[2025].value, "đạt", yearly[2026].value, "đạt", "—", "—")
    assert (yearly[2025].value, yearly[2026].value) == (40, 45)  # the returned 20 counted in neither
    missing = {row[1]: row[2:] for row in workbook["Chưa báo cáo"].iter_rows(values_only=True)}
    assert missing["UBND xã Bình Sơn"] == ("đã báo cáo", "đã báo cáo", "chưa báo cáo")
    granted = list(workbook["Gia hạn đã chấp thuận"].iter_rows(values_only=True))
    assert len(granted) == 2 and granted[1][:2] == (2026, "UBND xã Bình Sơn")

    text = "\n".join(p.text for p in Document(BytesIO(_file(manager, "Dự thảo báo cáo sơ kết (Word)"))).paragraphs)
    assert "Sơ kết việc thực hiện Kế hoạch về tiêu chuẩn, đo lường, chất lượng giai đoạn 2025–2027" in text
    assert "2025: 40 %" in text and "2026: 45 %" in text and "2027: chưa có số liệu" in text
    assert "chỉ tiêu 35 mỗi năm" in text and "+ UBND xã Bình Sơn: Cử công chức đi học" in text
    assert "2027: 113 đơn vị chưa báo cáo" in text and "2026: UBND xã Bình Sơn" in text
    assert "20 %" not in text  # what Sở KH&CN returned is no result, in no year

    chart = _file(manager, "Biểu đồ số liệu so với chỉ tiêu")
    assert chart.startswith(b"\x89PNG")

    path = tmp_path / "so-ket.docx"
    done = cli(db_url, "report", "--from", "2025", "--to", "2026", "--format", "docx", "--output", str(path))
    assert done.returncode == 0, done.stderr
    assert "giai đoạn 2025–2026" in "\n".join(p.text for p in Document(str(path)).paragraphs)
    done = cli(db_url, "report", "--year", "2026", "--format", "docx", "--output", str(path))
    assert done.returncode == 0, done.stderr
    yearly = "\n".join(p.text for p in Document(str(path)).paragraphs)  # the year's draft, beside the year before
    assert "Tỷ lệ công chức, viên chức được tham gia đào tạo, cập nhật kiến thức: 45 %" in yearly
    assert "so với năm 2025: 40 %" in yearly


def _file(chat: Chat, label: str) -> bytes:
    chat.say("/baocao 2025-2027")
    chat.press(label)
    [attachment] = [reply.attachment for reply in chat.last if reply.attachment]
    return attachment.content
