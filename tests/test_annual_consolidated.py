"""What Sở KH&CN gets from the annual reports: whether each unit's arrived, when, its receipt, its difficulties
and proposals (/baocao UNIT), how many arrived (/baocao), who is missing in the month before it is due (the
digest), the units' results quoted under each task in the Word draft (accepted first, a returned one never),
and a sheet of annual reports in the workbook."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO

from docx import Document
from openpyxl import load_workbook
from sqlalchemy.engine import Engine

from bot.runtime.conversation import Conversation
from handlers.notices import digest_messages
from locales import lang
from models import session_scope
from models.organisation import Role
from reports.docx import draft
from reports.summary import summarise
from reports.xlsx import workbook
from tests.conftest import NOW, Chat
from tests.test_decisions import member_of

RESULT = "Đăng 12 tin bài trên cổng thông tin xã"


def reports_its_year(officer: Chat, task: str, result: str, difficulty: str, proposal: str) -> str:
    for answer in ("/baocaonam", "2", task, "1", result, "12", difficulty, proposal):
        officer.say(answer)
    return officer.say("Gửi")


def test_sở_khcn_sees_each_annual_report_its_results_and_who_is_missing(conversation: Conversation,
                                                                        engine: Engine) -> None:
    binh_son = member_of(conversation, engine, "21040", "501")
    tinh_khe = member_of(conversation, engine, "21211", "502")
    manager = member_of(conversation, engine, "SKHCN", "601", Role.MANAGER)
    assert "biên nhận số 1" in reports_its_year(binh_son, "I.2", RESULT, "Thiếu cán bộ", "Tập huấn thêm")
    assert "biên nhận số 2" in reports_its_year(tinh_khe, "I.2", "Phát 3 bản tin trên loa", "không", "không")
    manager.say("/duyet nhan a1")
    assert "Đã trả lại" in manager.say("/duyet tralai a2 Ghi rõ số bản tin")

    overview = manager.say("/baocao")
    assert "Báo cáo năm đã nhận: 2/113" in overview
    unit = manager.say("/baocao binh son")
    assert "Báo cáo năm: đã nhận ngày 15/10/2025, biên nhận a1 — đã tiếp nhận." in unit
    assert "Khó khăn: Thiếu cán bộ" in unit and "Đề xuất: Tập huấn thêm" in unit
    assert "Báo cáo năm: chưa nhận được." in manager.say("/baocao 21061")

    with session_scope(engine) as session:
        summary = summarise(session, 2025, NOW.date())
        text = "\n".join(p.text for p in Document(BytesIO(draft(summary, lang("vi")))).paragraphs)
        book = load_workbook(BytesIO(workbook(summary, lang("vi"))), read_only=True)
        sheet = [row for row in book["Báo cáo năm"].iter_rows(values_only=True)]
        digest = digest_messages(session, date(2025, 10, 27))  # three weeks before 19/11: who is missing
        early = digest_messages(session, date(2025, 9, 8))
    assert f"+ UBND xã Bình Sơn: {RESULT}" in text
    assert "Phát 3 bản tin trên loa" not in text  # returned: not a result
    assert re.search(r"Sở KH&CN đã tiếp nhận \d+; 0 đang chờ tiếp nhận; \d+ đã trả lại", text), text[:800]
    assert "đã trả lại đơn vị và không được tính là kết quả" in text
    assert sheet[0][:4] == ("Mã", "Đơn vị", "Thời điểm nhận (UTC)", "Biên nhận")
    assert [row[3] for row in sheet[1:]] == ["a1", "a2"] and sheet[1][7:] == ("Thiếu cán bộ", "Tập huấn thêm")
    [to_manager] = [m.text for m in digest]
    assert "Chưa gửi báo cáo năm (hạn 19/11/2025): 111 đơn vị." in to_manager
    assert "• UBND xã Bình Sơn" not in to_manager and "• UBND xã Tịnh Khê" not in to_manager
    assert "Chưa gửi báo cáo năm" not in early[0].text
