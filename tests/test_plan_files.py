"""Plans as officials send them (issue 19, in part): the number and date read from the title block above the
title, the title without the body; a .doc, .xls or .pdf told to be saved as .docx or .xlsx, a damaged file
refused in words, a draft edited by hand never overwritten unasked."""

from __future__ import annotations

from pathlib import Path

import yaml
from docx import Document

from tests.test_plan_import import HEADER, run


TIME_CELLS = [  # (as written, the dates the draft says it means)
    ("2025", "31/12/2025"), ("Năm 2025", "31/12/2025"), ("6/2025", "30/06/2025"), ("06/2025", "30/06/2025"),
    ("12/2026", "31/12/2026"), ("Tháng 10/2025", "31/10/2025"), ("2025 - 2026", "31/12/2025; 31/12/2026"),
    ("2025 và những năm tiếp theo", "31/12/2025; hằng năm 31/12"), ("Trước ngày 30/6/2025", "29/06/2025"),
    ("30/6/2025", "30/06/2025"), ("Tháng 12 hằng năm", "hằng năm 31/12"),
    ("Hằng quý", "hằng năm 31/03; hằng năm 30/06; hằng năm 30/09; hằng năm 31/12"),
]


def plan_with_a_title_block(path: Path) -> None:
    document = Document()
    block = document.add_table(rows=2, cols=2)  # borderless in the original: the issuing body | the motto
    block.cell(0, 0).text = "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"
    block.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc"
    block.cell(1, 0).text = "Số: 45/KH-UBND"
    block.cell(1, 1).text = "Quảng Ngãi, ngày 15 tháng 9 năm 2025"
    for line in ("KẾ HOẠCH", "Thực hiện Nghị quyết số 57-NQ/TW ngày 22 tháng 12 năm 2024",
                 "của Bộ Chính trị về đột phá phát triển khoa học, công nghệ",
                 "Căn cứ Nghị quyết số 57-NQ/TW ngày 22 tháng 12 năm 2024 của Bộ Chính trị;",
                 "I. MỤC ĐÍCH, YÊU CẦU"):
        document.add_paragraph(line)
    table = document.add_table(rows=2, cols=5)
    for cell, text in zip(table.rows[0].cells, HEADER):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ["1", "Tuyên truyền về khoa học, công nghệ", "Sở Khoa học và Công nghệ",
                                               "UBND các xã, phường, đặc khu", "Quý IV năm 2025"]):
        cell.text = text
    document.save(str(path))


def test_the_title_block_gives_the_number_and_date_and_the_title_stops_at_the_body(db_url: str,
                                                                                    tmp_path: Path) -> None:
    source, output = tmp_path / "kh45.docx", tmp_path / "kh45.yaml"
    plan_with_a_title_block(source)
    done = run(db_url, "plan", "import", str(source), "--output", str(output))
    assert done.returncode == 0, done.stderr
    plan = yaml.safe_load(output.read_text(encoding="utf-8"))
    assert plan["number"] == "45/KH-UBND" and str(plan["issued_on"]) == "2025-09-15"  # not the resolution's date
    assert plan["title"] == ("Thực hiện Nghị quyết số 57-NQ/TW ngày 22 tháng 12 năm 2024 của Bộ Chính trị về đột phá "
                             "phát triển khoa học, công nghệ")

    again = run(db_url, "plan", "import", str(source), "--output", str(output))
    assert again.returncode == 2 and "--force" in again.stderr  # a draft edited by hand is not overwritten
    assert run(db_url, "plan", "import", str(source), "--output", str(output), "--force").returncode == 0


def test_other_formats_and_damaged_files_are_refused_in_words(db_url: str, tmp_path: Path) -> None:
    for name, kind in (("ke-hoach.doc", "Word 97-2003"), ("phu-luc.xls", "Excel 97-2003"), ("ke-hoach.pdf", "PDF")):
        (tmp_path / name).write_bytes(b"\xd0\xcf\x11\xe0 old format")
        refused = run(db_url, "plan", "import", str(tmp_path / name))
        assert refused.returncode == 2 and f"là tệp {kind}" in refused.stderr and "Traceback" not in refused.stderr
    for name, content in (("rong.docx", b""), ("hong.xlsx", b"PK\x03\x04 not really a workbook")):
        (tmp_path / name).write_bytes(content)
        refused = run(db_url, "plan", "import", str(tmp_path / name))
        assert refused.returncode == 2 and "tệp có thể rỗng hoặc bị hỏng" in refused.stderr
        assert "Traceback" not in refused.stderr
    missing = run(db_url, "plan", "import", str(tmp_path / "khong-co.docx"))
    assert missing.returncode == 2 and "không có tệp này" in missing.stderr


def test_an_excel_appendix_under_title_rows_with_a_two_level_header(db_url: str, tmp_path: Path) -> None:
    """Title lines above the header, "Cơ quan thực hiện" over "Chủ trì" | "Phối hợp", a "(1) (2) …" row, and a
    content column headed "Tên nhiệm vụ"."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["PHỤ LỤC"])
    sheet.append(["DANH MỤC NHIỆM VỤ THỰC HIỆN KẾ HOẠCH"])
    sheet.append([])
    sheet.append(["TT", "Tên nhiệm vụ", "Cơ quan thực hiện", None, "Thời gian hoàn thành"])
    sheet.append([None, None, "Chủ trì", "Phối hợp", None])
    sheet.append(["(1)", "(2)", "(3)", "(4)", "(5)"])
    sheet.append(["I", "Tuyên truyền"])
    sheet.append([1, "Tuyên truyền về tiêu chuẩn", "Sở Khoa học và Công nghệ", "UBND các xã, phường, đặc khu",
                  "Tháng 10/2025"])
    for number, (cell, _) in enumerate(TIME_CELLS, start=2):  # every plain date form, as typed in such files
        sheet.append([number, f"Nhiệm vụ {number}", "Sở Tài chính, sở, ban, ngành liên quan", "", cell])
    source, output = tmp_path / "phu-luc.xlsx", tmp_path / "phu-luc.yaml"
    book.save(source)
    done = run(db_url, "plan", "import", str(source), "--output", str(output), "--number", "12/KH-UBND",
               "--issued", "2025-09-01", "--title", "Kế hoạch thử", "--key", "ke-hoach-12-2025")
    assert done.returncode == 0, done.stderr
    task, *others = yaml.safe_load(output.read_text(encoding="utf-8"))["tasks"]
    assert task["content"] == "Tuyên truyền về tiêu chuẩn" and task["schedule"] == "Tháng 10/2025"
    assert task["schedule_rules"] == [{"kind": "once", "due": "2025-10-31"}]
    assert [t["schedule_dates"] for t in others] == [dates for _, dates in TIME_CELLS]
    assert all(t["lead_units"] == ["STC"] and any("liên quan" in note for note in t["review"]) for t in others)


def test_a_table_lacking_columns_is_said_so(db_url: str, tmp_path: Path) -> None:
    document = Document()
    table = document.add_table(rows=2, cols=3)
    for cell, text in zip(table.rows[0].cells, ["STT", "Nội dung nhiệm vụ", "Cơ quan chủ trì"]):
        cell.text = text
    source = tmp_path / "thieu-cot.docx"
    document.save(str(source))
    refused = run(db_url, "plan", "import", str(source))
    assert refused.returncode == 2 and "thiếu các cột: Phối hợp, Thời gian thực hiện" in refused.stderr


def test_units_as_plans_name_them(db_url: str, tmp_path: Path) -> None:
    """"liên quan" after a group's words names nobody (with a note), never the whole group; "Sở KHCN",
    "Sở Giáo dục & Đào tạo" and "Các Sở: Tài chính, Nội vụ, Y tế" resolve."""
    from plans.draft import NARROWED, Resolver

    resolver = Resolver.from_data()
    refs, unknown = resolver.resolve("Sở Tài chính, sở, ban, ngành liên quan")
    assert refs == ["STC", NARROWED] and unknown == []
    assert resolver.resolve("Sở KHCN; Sở Giáo dục & Đào tạo") == (["SKHCN", "SGDDT"], [])
    assert resolver.resolve("Các Sở: Tài chính, Nội vụ, Y tế")[0] == ["STC", "SNV", "SYT"]


def test_a_task_without_a_lead_a_quoted_date_and_rules_written_by_hand(db_url: str, tmp_path: Path) -> None:
    draft = tmp_path / "kh7.yaml"
    plan = {"key": "ke-hoach-7-2025", "number": "7/KH-UBND", "title": "Kế hoạch thử", "issued_on": "2025-09-15",
            "annual_report": {"month": 11, "day": 20}, "sections": [{"number": "I", "title": "Mục I"}],
            "tasks": [{"section": "I", "number": 1, "content": "Việc một", "lead": "", "lead_units": [],
                       "cooperating": "", "cooperating_units": [], "schedule": "Khi có hướng dẫn của Bộ",
                       "schedule_rules": [], "figures": []}]}
    draft.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    checked = run(db_url, "plan", "check", str(draft))
    assert checked.returncode == 2 and "chưa có đơn vị chủ trì" in checked.stdout  # nobody held to it: refused
    assert "chưa hiểu thời gian \"Khi có hướng dẫn của Bộ\"" in checked.stdout
    assert "issued_on" not in checked.stdout  # '2025-09-15' in quotes is a date
    plan["tasks"][0].update(no_lead=True, schedule_rules=[{"kind": "once", "due": "2025-12-31"}])
    draft.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert run(db_url, "plan", "check", str(draft)).returncode == 0  # the text stays as written
    assert run(db_url, "plan", "load", str(draft)).returncode == 0
