"""/baocao and the exports: figures derived from the stored updates, checked in the files themselves."""

from __future__ import annotations

import asyncio
import itertools
import random
import shutil
import subprocess
import time as clock
from datetime import date, datetime, time, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.runtime.conversation import Conversation
from bot.settings import Settings
from locales import lang
from models import AnnualReport, Assignment, Extension, Outbox, ProgressUpdate, Task, Unit, session_scope
from models.plan import ExtensionState
from models.organisation import Role
from reports.docx import draft
from jobs.year import Standing, save_update, year_of
from reports.summary import overview_of, summarise
from reports.xlsx import workbook
from tests.conftest import NOW, Chat, add_member, invite
from tests.fake_telegram import FakeTelegram
from tests.test_telegram import Officer, running_bot

TODAY = NOW.date()  # 15/10/2025
CHATS = itertools.count(900_000)


def report(engine: Engine, unit: str, task: str, status: str, when: datetime, figures: dict | None = None,  # type: ignore[type-arg]
           difficulties: str = "", percent: float | None = None) -> None:
    with session_scope(engine) as session:
        assignment = session.exec(select(Assignment).join(Task, col(Task.id) == Assignment.task_id)
                                  .join(Unit, col(Unit.id) == Assignment.unit_id)
                                  .where(Task.code == task, Unit.code == unit)).one()
        member = add_member(engine, unit, next(CHATS))
        save_update(session, ProgressUpdate(assignment_id=assignment.id, period="2025", status=status,
                                            percent=percent, result="kết quả", figures=figures or {},
                                            difficulties=difficulties, member_id=member, channel="telegram",
                                            created_at=when))


def test_the_updates_of_a_summary_whose_session_closed_are_refused_not_read_on_a_leaked_connection(
        engine: Engine) -> None:
    """The workbook streams every update from the session that made the summary; read after it closed, it
    once opened a connection only the garbage collector gave back, and sixteen of those emptied the pool."""
    report(engine, "SKHCN", "III.4", "done", datetime(2025, 10, 10), {"classes_held": 2})
    with Session(engine) as session:
        summary = summarise(session, 2025, TODAY)
        assert workbook(summary, lang("vi"))  # inside: the updates stream
    with Session(engine) as session:
        late = summarise(session, 2025, TODAY)
    with pytest.raises(RuntimeError, match="inside the session"):
        workbook(late, lang("vi"))
    assert engine.pool.checkedout() == 0


def test_totals_follow_superseding_answers_nothing_arose_and_tasks_without_figures(engine: Engine) -> None:
    report(engine, "SKHCN", "III.4", "in_progress", datetime(2025, 10, 1), {"classes_held": 1, "trainees": 40})
    report(engine, "SKHCN", "III.4", "done", datetime(2025, 10, 10), {"classes_held": 2, "trainees": 90})  # supersedes
    report(engine, "21040", "III.4", "not_arisen", datetime(2025, 10, 2))
    report(engine, "21211", "III.4", "done", datetime(2025, 10, 3), {"classes_held": 1})
    report(engine, "SKHCN", "II.3", "done", datetime(2025, 10, 5))  # no figures; due 30/09: late
    report(engine, "21040", "III.2", "done", datetime(2025, 10, 5), {"staff_trained_share": 40})
    report(engine, "21211", "III.2", "done", datetime(2025, 10, 6), {"staff_trained_share": 30})
    with Session(engine) as session:
        summary = summarise(session, 2025, TODAY)
    totals = {(f.task_code, f.key): (f.value, f.reports, f.target) for f in summary.figures()}
    assert totals[("III.4", "classes_held")] == (3, 2, 1)  # 2 + 1: the superseded "1" is not counted
    assert totals[("III.4", "trainees")] == (90, 1, None)
    assert totals[("III.2", "staff_trained_share")] == (35, 2, 35)  # a mean of percentages
    counts = summary.by_task()
    assert counts["III.4"][Standing.NOT_ARISEN] == 1 and counts["III.4"][Standing.DONE_ON_TIME] == 2
    assert counts["II.3"][Standing.DONE_LATE] == 1
    assert counts["I.1"].unreported == len(summary.units_expected) - 3  # I.1 lead: all but BCĐ, QLTT, báo
    assert counts["I.1"][Standing.OVERDUE] == counts["I.1"].unreported  # every unit leads I.1, due 30/09/2025
    assert counts["II.3"][Standing.PENDING] == counts["II.3"].unreported  # II.3's cooperators: held to 19/11 only
    assert len(summary.units_reported) == 3
    assert not any(f.task_code == "II.3" for f in summary.figures())


@pytest.mark.parametrize("today", [date(2025, 3, 1), TODAY, date(2025, 12, 31)])
def test_the_overview_counted_by_the_database_matches_the_year_read_assignment_by_assignment(
        engine: Engine, today: date) -> None:
    """/baocao's first screen counts by group (reports.summary.overview_of); the files and drill-downs read each
    assignment (summarise). On a year of every kind of answer, at every point of it, they must agree."""
    draw = random.Random(13)
    with session_scope(engine) as session:
        assignments = list(session.exec(select(Assignment.id, Unit.code, Task.code)
                                        .join(Unit, col(Unit.id) == Assignment.unit_id)
                                        .join(Task, col(Task.id) == Assignment.task_id)).all())
    with Session(engine) as session:  # two leads held to a date: granted a month, done within it and after it
        held = [(r.assignment_id, r.unit.code, r.task.code, r.due) for r in year_of(session, 2025, TODAY)
                if r.is_lead and r.due is not None and r.due < date(2025, 10, 1)][:3]
    assignments = [a for a in assignments if a[0] not in {h[0] for h in held}]
    for (_, unit, task, due), days in zip(held, (5, 40)):
        report(engine, unit, task, "done", datetime.combine(due + timedelta(days=days), time(9)))
    _, unit, task, due = held.pop()  # no extension: done at the first moment of the next day, Vietnam time
    report(engine, unit, task, "done", datetime.combine(due, time(17)))  # 17:00 UTC = 00:00 the next day
    for _, unit, task in draw.sample(assignments, 120):
        status = draw.choice(["done", "done", "in_progress", "not_started", "not_arisen"])
        report(engine, unit, task, status, datetime(2025, draw.randint(1, 12), draw.randint(1, 28), draw.randint(0, 23)),
               {"classes_held": draw.randint(0, 3), "staff_trained_share": draw.randint(0, 100), "inspections": 2},
               percent=draw.choice([None, 40]))
    member = add_member(engine, "21211", next(CHATS))
    with session_scope(engine) as session:
        for assignment_id, _, _, due in held:
            session.add(Extension(assignment_id=assignment_id, period="2025", until=due + timedelta(days=30),
                                  reason="", state=ExtensionState.APPROVED, asked_by_member_id=member))
        for assignment_id, _, _ in draw.sample(assignments, 8):  # granted more time, some until after today
            session.add(Extension(assignment_id=assignment_id, period="2025", until=date(2025, 12, draw.randint(1, 31)),
                                  reason="", state=ExtensionState.APPROVED, asked_by_member_id=member))
        session.add(AnnualReport(unit_id=session.exec(select(Unit.id).where(Unit.code == "21211")).one(),
                                 period="2025", member_id=member, channel="telegram"))
        reporters = sorted({unit for _, unit, _ in assignments} - {"21211", "SKHCN"})
        merged, formed = (session.exec(select(Unit).where(Unit.code == code)).one() for code in draw.sample(reporters, 2))
        merged.ended_on, formed.began_on = date(2025, 12, 31), date(2026, 1, 1)  # neither answers for 2025
    with Session(engine) as session:
        counted = overview_of(session, 2025, today)
        read = summarise(session, 2025, today, history=False)
    assert counted.by_section() == read.by_section() and len(counted.by_section()) == 6
    assert (counted.units_reported, counted.units_expected) == (len(read.units_reported), len(read.units_expected))
    assert counted.units_expected == 111 and not {merged.id, formed.id} & {u.id for u in read.units_expected}
    assert [(f.task_code, f.key, f.reports, round(f.value, 6)) for f in counted.figures] == \
        [(f.task_code, f.key, f.reports, round(f.value, 6)) for f in read.figures()]
    assert any(f.reports for f in counted.figures)
    stood = {r.assignment_id: r.standing for r in read.rows}
    assert [stood[h[0]] for h in held] == [Standing.DONE_ON_TIME, Standing.DONE_LATE]


def test_officers_and_strangers_are_refused_and_viewers_may_read(conversation: Conversation, engine: Engine) -> None:
    stranger = Chat(conversation, user_id="11")
    assert "chưa đăng ký" in stranger.say("/baocao")
    officer = Chat(conversation, user_id="12")
    officer.say(f"/start {invite(engine, '21040')}")
    assert officer.say("/baocao") == "Lệnh này dành cho cán bộ quản lý và theo dõi của Sở KH&CN."
    assert officer.say("/report xlsx") == "Lệnh này dành cho cán bộ quản lý và theo dõi của Sở KH&CN."
    viewer = Chat(conversation, user_id="13")
    viewer.say(f"/start {invite(engine, 'SKHCN', Role.VIEWER)}")
    assert "Đơn vị đã báo cáo: 0/113" in viewer.say("/baocao")
    assert "Chỉ cán bộ quản lý" in viewer.say("/sukien III.3 30")  # a viewer cannot act


def test_drilling_down_by_unit_task_and_who_has_not_reported(conversation: Conversation, engine: Engine) -> None:
    report(engine, "21040", "III.2", "done", datetime(2025, 10, 5), {"staff_trained_share": 40})
    manager = Chat(conversation, user_id="21")
    manager.say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")
    overview = manager.say("/baocao")
    assert "Đơn vị đã báo cáo: 1/113" in overview and "• III.2 Tỷ lệ công chức" in overview
    unit = manager.say("/baocao binh son")
    assert unit.startswith("UBND xã Bình Sơn, năm 2025:") and "• III.2: Đã hoàn thành đúng hạn" in unit
    assert "\n  u1: “kết quả”" in unit  # what the unit wrote, with the reference that opens it
    assert "Có nhiều đơn vị khớp" in manager.say("/baocao binh")
    assert "• UBND xã Bình Sơn: Đã hoàn thành đúng hạn" in manager.say("/baocao iii.2")
    missing = manager.say("/baocao chua")
    assert missing.startswith("Còn 112 đơn vị chưa báo cáo:") and "Bình Sơn" not in missing
    assert "Không tìm thấy" in manager.say("/baocao zzz")


def test_the_workbook_and_the_draft_hold_the_stored_figures(engine: Engine) -> None:
    report(engine, "SKHCN", "V.1", "done", datetime(2025, 10, 1), {"inspections": 12, "violations": 3,
                                                                   "fines": 45_000_000}, "Thiếu cán bộ")
    report(engine, "21040", "V.1", "in_progress", datetime(2025, 10, 2), {"inspections": 2}, percent=50)
    with Session(engine) as session:
        summary = summarise(session, 2025, TODAY)
        book = load_workbook(BytesIO(workbook(summary, lang("vi"))))  # the updates stream from this session
    assert book.sheetnames == ["Tổng hợp 2025", "Theo nhiệm vụ", "Theo đơn vị", "Giao nhiệm vụ", "Các cập nhật",
                               "Báo cáo năm", "Gia hạn", "Chưa báo cáo"]
    first = book["Tổng hợp 2025"]
    values = {row[0]: row[1] for row in first.iter_rows(min_row=2, values_only=True)}
    assert values["V.1 — Số cuộc thanh tra, kiểm tra"] == 14 and values["V.1 — Số tiền xử phạt"] == 45_000_000
    assert values["Đơn vị đã báo cáo / phải báo cáo"] == "2/113"
    updates = book["Các cập nhật"]
    assert updates.freeze_panes == "A2" and updates.auto_filter.ref.startswith("A1:")
    assert [c.value for c in updates[1]][:5] == ["Số", "Thời điểm (UTC)", "Đơn vị", "Nhiệm vụ", "Tình trạng"]
    assert len(list(updates.iter_rows(min_row=2))) == 2
    figures = " | ".join(row[7] for row in updates.iter_rows(min_row=2, values_only=True))
    assert "Số cuộc thanh tra, kiểm tra: 12 cuộc" in figures and "inspections" not in figures  # labels, not keys
    assert book["Chưa báo cáo"].max_row == 112

    document = Document(BytesIO(draft(summary, lang("vi"))))
    header = document.tables[0]
    assert header.cell(0, 0).text == "UBND TỈNH QUẢNG NGÃI\nSỞ KHOA HỌC VÀ CÔNG NGHỆ\n"  # the last line: a rule
    assert header.cell(0, 1).text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
    for cell, length in ((header.cell(0, 0), 24), (header.cell(0, 1), 60)):
        rule = cell.paragraphs[-1]
        assert rule._p.xpath("./w:pPr/w:pBdr/w:top/@w:val") == ["single"]  # a short line under the text
        width = cell.width.mm - rule.paragraph_format.left_indent.mm - rule.paragraph_format.right_indent.mm
        assert round(width) == length
    text = "\n".join(p.text for p in document.paragraphs)
    assert "BÁO CÁO" in text and "- Số cuộc thanh tra, kiểm tra: 14 cuộc (2 đơn vị báo cáo)." in text
    assert "- Sở Khoa học và Công nghệ (V.1): Thiếu cán bộ" in text
    section = document.sections[0]
    assert [round(length.mm) for length in (section.page_width, section.page_height, section.top_margin,
                                            section.left_margin, section.right_margin)] == [210, 297, 20, 30, 15]
    assert document.styles["Normal"].font.name == "Times New Roman"
    # Page numbers top centre from the second page on: none in the first page's own header.
    assert section.different_first_page_header_footer
    assert section.header._element.xpath(".//w:instrText/text()") == ["PAGE"]
    assert section.first_page_header._element.xpath(".//w:instrText/text()") == []
    appendix = document.tables[2]  # after the header and the signing block
    assert appendix.cell(0, 0).text == "Đơn vị" and len(appendix.rows) == 114


def test_past_a_few_hundred_units_the_appendix_counts_units_by_kind(engine: Engine,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    report(engine, "21040", "III.2", "done", datetime(2025, 10, 5), difficulties="Thiếu kinh phí")
    report(engine, "SKHCN", "III.2", "not_arisen", datetime(2025, 10, 6), difficulties="Chưa có hướng dẫn")
    monkeypatch.setattr("reports.docx.APPENDIX_UNITS", 100)  # the seed's 113 units play a national year
    monkeypatch.setattr("reports.docx.MAX_DIFFICULTIES", 1)
    with Session(engine) as session:
        summary = summarise(session, 2025, TODAY)
    document = Document(BytesIO(draft(summary, lang("vi"))))
    text = [p.text for p in document.paragraphs]
    assert "Sở, ban, ngành: 17 đơn vị" in text and "Xã, phường, đặc khu: 96 đơn vị" in text
    assert "- Sở Khoa học và Công nghệ (III.2): Chưa có hướng dẫn" in text and "Thiếu kinh phí" not in str(text)
    assert "… và 1 ý kiến khác: xem bảng tổng hợp (/baocao xlsx), trang \"Các cập nhật\"." in text
    provincial, local = document.tables[2], document.tables[3]  # after the signing block
    assert [c.text for c in local.rows[0].cells] == ["Nhiệm vụ", "Số đơn vị", "✓", "✓*", "…", "!", "0", "○", "°"]
    rows = {row.cells[0].text: [c.text for c in row.cells[1:]] for row in local.rows[1:]}
    assert rows["III.2"] == ["96", "1", "0", "95", "0", "0", "0", "95"]  # the others: due with the annual report
    provincial_rows = {row.cells[0].text: [c.text for c in row.cells[1:]] for row in provincial.rows[1:]}
    assert provincial_rows["III.2"][0] == "14" and provincial_rows["III.2"][5] == "1"  # SKHCN: nothing arose


@pytest.mark.skipif(shutil.which("libreoffice") is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice and poppler are not installed")
def test_the_draft_opens_in_libreoffice_with_the_header_on_its_first_page(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as session:
        summary = summarise(session, 2025, TODAY)
    source = tmp_path / "bao-cao.docx"
    source.write_bytes(draft(summary, lang("vi")))
    subprocess.run(["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=180)
    first_page = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(tmp_path / "bao-cao.pdf"), "-"],
                                check=True, capture_output=True, text=True).stdout
    lines = [line for line in first_page.splitlines() if line.strip()]
    assert "UBND TỈNH QUẢNG NGÃI" in lines[0] and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in lines[0]
    assert "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in lines[1] and "Độc lập - Tự do - Hạnh phúc" in lines[1]
    assert any("BÁO CÁO" == line.strip() for line in lines)


async def file_arrives(fake: FakeTelegram, chat: int, caption: str, timeout: float = 60) -> None:
    """Waits for the file a reply promised (made in the export process)."""
    deadline = clock.monotonic() + timeout
    while not any(m.get("caption") == caption for m in fake.messages_to(chat)):
        assert clock.monotonic() < deadline, f"no file captioned {caption!r}"
        await asyncio.sleep(0.1)


async def test_a_manager_receives_the_files_over_telegram(engine: Engine, settings: Settings) -> None:
    report(engine, "SKHCN", "III.4", "done", datetime(2025, 10, 1), {"classes_held": 2})
    with FakeTelegram() as fake:
        manager = Officer(fake, 4242)
        async with running_bot(fake, engine, settings):
            await manager.say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")
            assert "Đơn vị đã báo cáo: 1/113" in await manager.say("/baocao")
            officer = Officer(fake, 4343)
            await officer.say(f"/start {invite(engine, '21040')}")
            asked = await manager.say("/baocao xlsx")  # said at once; the file comes when made
            assert asked.startswith("Đang chuẩn bị tệp (khoảng 5 giây); tệp sẽ được gửi vào đây khi xong.")
            started = clock.monotonic()
            assert "Tình hình thực hiện nhiệm vụ?" in await officer.say("/capnhat I.2")  # answered meanwhile
            assert clock.monotonic() - started < 3
            for words, caption in (("xlsx", "Bảng tổng hợp năm 2025."), ("docx", "Dự thảo báo cáo tổng hợp năm 2025."),
                                   ("bieu do", "Biểu đồ năm 2025.")):
                if words != "xlsx":
                    assert "Đang chuẩn bị tệp" in await manager.say(f"/baocao {words}")
                await file_arrives(fake, 4242, caption)
        files = {d["file_name"]: d["content"] for d in fake.documents if d["chat_id"] == 4242}
        assert [method for method, _ in fake.calls].count("sendPhoto") == 1
    assert set(files) == {"tdc-2025.xlsx", "bao-cao-tdc-2025.docx", "tdc-2025.png"}
    assert files["tdc-2025.png"].startswith(b"\x89PNG")
    book = load_workbook(BytesIO(files["tdc-2025.xlsx"]))
    values = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert values["III.4 — Số lớp đào tạo, bồi dưỡng đã tổ chức"] == 2
    assert "BÁO CÁO" in "\n".join(p.text for p in Document(BytesIO(files["bao-cao-tdc-2025.docx"])).paragraphs)


def test_a_manager_reminds_the_units_that_have_not_reported_and_a_viewer_cannot(
        conversation: Conversation, engine: Engine) -> None:
    add_member(engine, "21040", 31_000)
    add_member(engine, "21211", 31_001)
    report(engine, "21211", "III.2", "done", datetime(2025, 10, 5))
    viewer = Chat(conversation, user_id="41")
    viewer.say(f"/start {invite(engine, 'SKHCN', Role.VIEWER)}")
    viewer.say("/baocao")
    viewer.press("Chưa báo cáo")
    assert viewer.last[0].text.startswith("Còn 112 đơn vị chưa báo cáo:") and viewer.buttons() == []
    assert viewer.say("/baocao nhacnho") == "Chỉ cán bộ quản lý của Sở KH&CN mới nhắc được các đơn vị."
    manager = Chat(conversation, user_id="42")
    manager.say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")
    manager.say("/baocao")
    assert manager.buttons() == ["Chưa báo cáo", "Theo nhiệm vụ", "Excel", "Word", "Biểu đồ"]
    manager.press("Chưa báo cáo")
    assert manager.buttons() == ["Nhắc ngay"]
    remind_token = manager.last[0].buttons[0].id
    assert "biểu mẫu đã đóng" in viewer.press_id(remind_token)  # another member's button is nothing to a viewer
    assert manager.press("Nhắc ngay").startswith("Đã xếp lịch nhắc 1 cán bộ của 1 đơn vị")
    assert manager.say("/baocao nhacnho").startswith("Đã xếp lịch nhắc 0 cán bộ")  # once a day
    manager.say("/baocao")
    manager.press("Theo nhiệm vụ")
    assert len(manager.buttons()) == 20
    assert manager.press(next(b for b in manager.buttons() if b.startswith("III.2 "))).startswith("III.2. Thường xuyên")
    with Session(engine) as session:
        [nudge] = session.exec(select(Outbox).where(Outbox.kind == "nudge")).all()
    assert nudge.chat_id == "31000" and "UBND xã Bình Sơn gửi báo cáo năm 2025" in nudge.text


def test_the_chart_is_a_png_of_both_breakdowns(engine: Engine) -> None:
    from PIL import Image

    from reports.chart import chart

    report(engine, "21040", "III.2", "done", datetime(2025, 10, 5))
    with Session(engine) as session:
        summary = summarise(session, 2025, TODAY)
    image = Image.open(BytesIO(chart(summary, lang("vi"))))
    assert image.format == "PNG" and image.size == (1320, 550)
    kinds = {row.unit.kind for row in summary.rows}
    assert {"department", "commune", "ward", "special_zone"} <= kinds
