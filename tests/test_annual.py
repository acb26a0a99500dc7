"""The annual report end to end over the fake Bot API: three units report the year (one leaves half-way and
resumes the next day), then a manager reads /baocao, drills down, and receives the workbook and the draft."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from io import BytesIO

from docx import Document
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.settings import Settings
from models import AnnualReport, Assignment, ProgressUpdate, Task, Unit
from models.organisation import Role
from tests.conftest import NOW, Chat, invite
from tests.fake_telegram import FakeTelegram
from tests.test_telegram import Officer, running_bot

# What each unit says of its tasks: status by task code (1 done, 2 in progress, 4 nothing arose) and figures.
ANSWERS = {
    "21040": {"V.1": "2", "I.2": "1"},  # and III.2, reported done during the year: kept
    "21211": {"III.2": "1", "V.3": "1"},
    "BAOQNG": {"I.2": "1"},
}
FIGURE = {"staff_trained_share": "40", "inspections": "3", "violations": "1", "fines": "2.000.000",
          "propaganda_items": "12", "surveys": "1", "samples": "5"}


async def answer_until_asked_to_confirm(officer: Officer, statuses: dict[str, str], stop_after: int | None = None) -> int:
    """Plays the officer through the form: the answer to each question depends on the question. Returns how
    many tasks were answered; stops after `stop_after` tasks, as someone called away from the phone."""
    tasks = 0
    current = ""
    while True:
        text = officer.last[-1]["text"]
        if "Gửi báo cáo năm này cho Sở KH&CN?" in text:
            return tasks
        if "\nNhiệm vụ " in f"\n{text}" and "), " in text:
            if stop_after is not None and tasks == stop_after:
                return tasks
            current = f"\n{text}".split("\nNhiệm vụ ", 1)[1].split(" ", 1)[0]
            tasks += 1
        if "Có nhiệm vụ nào có kết quả mới không?" in text:
            await officer.press("Chọn nhiệm vụ có kết quả mới" if statuses else "Không có gì mới")
        elif "Nhiệm vụ nào có kết quả mới?" in text:
            await officer.say(", ".join(statuses))
        elif "Tình hình thực hiện nhiệm vụ?" in text:
            await officer.say(statuses[current])
        elif "bao nhiêu phần trăm" in text:
            await officer.say("60%")
        elif "Kết quả đã thực hiện" in text:
            await officer.say(f"Kết quả {current}")
        elif "Vui lòng nhập số" in text:
            key = next(k for k, label in LABELS.items() if label in text)
            await officer.say(FIGURE[key])
        elif "Khó khăn, vướng mắc của đơn vị" in text:
            await officer.say("Thiếu cán bộ chuyên trách")
        elif "Kiến nghị, đề xuất" in text:
            await officer.say("Đề nghị tập huấn thêm")
        else:
            raise AssertionError(f"unexpected question: {text}")


LABELS: dict[str, str] = {}


async def test_three_units_report_the_year_and_a_manager_consolidates(engine: Engine, settings: Settings) -> None:
    with Session(engine) as session:
        for task in session.exec(select(Task)).all():
            LABELS.update({f["key"]: f["label"] + " (" for f in task.figures})
    codes = {code: invite(engine, code) for code in ANSWERS}
    with FakeTelegram() as fake:
        officers = {code: Officer(fake, 5000 + n, quiet=0.08) for n, code in enumerate(ANSWERS)}
        async with running_bot(fake, engine, settings):
            for code, officer in officers.items():
                await officer.say(f"/start {codes[code]}")
            # Bình Sơn had updated III.2 during the year: it is offered as it stands.
            await officers["21040"].say("/capnhat III.2")
            await officers["21040"].press("Đã hoàn thành")
            await officers["21040"].say("Cử 4 công chức đi học")
            await officers["21040"].say("40")
            await officers["21040"].say("/boqua")
            await officers["21040"].press("Lưu")

            first = await officers["21040"].say("/baocaonam")
            assert "Báo cáo năm 2025 của UBND xã Bình Sơn: 15 nhiệm vụ." in first
            assert ("Đã báo cáo trong năm, giữ nguyên:\n  – III.2: Đã hoàn thành đúng hạn — chờ Sở KH&CN tiếp nhận"
                    " — “Cử 4 công chức đi học”") in first  # what the unit said, and where its review stands
            await answer_until_asked_to_confirm(officers["21040"], ANSWERS["21040"])
            summary = officers["21040"].last[-1]["text"]
            assert "1 nhiệm vụ giữ nguyên như đã báo cáo" in summary and "• I.2 · Tình trạng: Đã hoàn thành" in summary
            receipt = await officers["21040"].press("Gửi")
            assert "Đã nhận báo cáo năm 2025 của UBND xã Bình Sơn" in receipt and "giữ nguyên 1." in receipt

            await officers["BAOQNG"].say("/baocaonam")
            await answer_until_asked_to_confirm(officers["BAOQNG"], ANSWERS["BAOQNG"])
            await officers["BAOQNG"].press("Gửi")

            await officers["21211"].say("/baocaonam")
            answered = await answer_until_asked_to_confirm(officers["21211"], ANSWERS["21211"], stop_after=1)
            assert answered == 1
        async with running_bot(fake, engine, settings, lambda: NOW + timedelta(days=1)):
            resumed = await officers["21211"].say("/tiep")
            assert "Nhiệm vụ V.3 (phối hợp), 2/2" in resumed
            await answer_until_asked_to_confirm(officers["21211"], ANSWERS["21211"])
            assert "Đã nhận báo cáo năm 2025 của UBND xã Tịnh Khê" in await officers["21211"].press("Gửi")

            manager = Officer(fake, 6000)
            await manager.say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")
            overview = await manager.say("/baocao")
            assert "Đơn vị đã báo cáo: 3/113" in overview
            assert "• III.2 Tỷ lệ công chức, viên chức được tham gia đào tạo, cập nhật kiến thức: 40 % (chỉ tiêu 35)" in overview
            missing = await manager.press("Chưa báo cáo")  # an inline button under the overview
            assert missing.startswith("Còn 110 đơn vị chưa báo cáo:") and manager.buttons() == ["Nhắc ngay"]
            unit = await manager.say("/baocao tinh khe")
            assert "UBND xã Tịnh Khê, năm 2025:" in unit and "• V.3: Đã hoàn thành đúng hạn" in unit
            task = await manager.say("/baocao V.1")
            assert task.index("• UBND xã Bình Sơn: Chưa hoàn thành, còn trong hạn — Đang thực hiện") < task.index(
                "(chưa báo cáo)")  # the units that reported come first
            await manager.say("/baocao xlsx")
            await manager.say("/baocao docx")
        files = {d["file_name"]: d["content"] for d in fake.documents if d["chat_id"] == 6000}

    with Session(engine) as session:
        assert len(session.exec(select(AnnualReport)).all()) == 3
        stored = session.exec(select(ProgressUpdate, Task).join(Assignment, col(Assignment.id) == ProgressUpdate.assignment_id)
                              .join(Task, col(Task.id) == Assignment.task_id)).all()
    latest: dict[int, ProgressUpdate] = {}
    for update, _ in sorted(stored, key=lambda pair: (pair[0].created_at, pair[0].id)):
        latest[update.assignment_id] = update
    expected: dict[str, float] = defaultdict(float)
    for update in latest.values():
        for key, value in update.figures.items():
            expected[key] += value
    book = load_workbook(BytesIO(files["tdc-2025.xlsx"]))
    values = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert values["Đơn vị đã báo cáo / phải báo cáo"] == "3/113"
    assert values["V.1 — Số cuộc thanh tra, kiểm tra"] == expected["inspections"] == 3
    assert values["V.1 — Số tiền xử phạt"] == expected["fines"] == 2_000_000
    assert values["V.3 — Số mẫu sản phẩm, hàng hóa được khảo sát"] == expected["samples"] == 5
    assert values["I.2 — Số tin, bài, ấn phẩm tuyên truyền"] == expected["propaganda_items"] == 24
    updates_sheet = book["Các cập nhật"]
    assert updates_sheet.max_row - 1 == len(stored)
    text = "\n".join(p.text for p in Document(BytesIO(files["bao-cao-tdc-2025.docx"])).paragraphs)
    assert "- UBND xã Bình Sơn, khó khăn, vướng mắc: Thiếu cán bộ chuyên trách" in text
    assert "- UBND xã Tịnh Khê, kiến nghị: Đề nghị tập huấn thêm" in text


def test_a_unit_without_tasks_is_told_so(conversation, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        unit = session.exec(select(Unit).where(Unit.code == "VPUBND")).one()
        assignments = session.exec(select(Assignment).where(Assignment.unit_id == unit.id)).all()
    chat = Chat(conversation, user_id="77")
    chat.say(f"/start {invite(engine, 'VPUBND')}")
    reply = chat.say("/baocaonam")
    assert assignments and reply.startswith("Báo cáo năm 2025 của")  # VP UBND cooperates on several tasks
    assert "Chưa báo cáo, đơn vị phối hợp:" in reply
