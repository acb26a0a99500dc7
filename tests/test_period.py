"""The plan's years side by side, over the stand-in Telegram server: three years of reports (a return that never
counts, an extension granted, a year a unit did not report, a commune renamed in the middle and a ward merged
into it), then Sở KH&CN's `/baocao 2025-2027` — the period's workbook read back with openpyxl, its Word draft
rendered by LibreOffice and read as a reader would, each year's figures equal to that year's own
consolidation."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.settings import Settings
from models.organisation import Role
from reports.summary import summarise
from tests.cli import cli
from tests.conftest import invite
from tests.fake_telegram import FakeTelegram
from tests.test_rendered import readable
from tests.test_report import file_arrives
from tests.test_telegram import Officer, running_bot
from tests.test_unit_history import RENAMED_AND_MERGED, data_with
from tests.test_year_end import Clock

CAN_RENDER = shutil.which("libreoffice") is not None and shutil.which("pdftotext") is not None
BINH_SON, TINH_KHE, TRUONG_QUANG_TRONG, SKHCN = 7201, 7202, 7203, 7204


async def trains(officer: Officer, share: str) -> str:
    """III.2 done, with the share of officials trained (a percentage); what the bot said when it was saved."""
    for answer in ("/capnhat III.2", "1", "Cử công chức đi học", share, "/boqua"):
        await officer.say(answer)
    return await officer.say("1")


def rendered(draft: bytes, folder: Path) -> str:
    """The draft's words as a reader meets them: converted to PDF by LibreOffice, read back by pdftotext."""
    source = folder / "so-ket.docx"
    source.write_bytes(draft)
    subprocess.run(["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(source)],
                   check=True, capture_output=True, timeout=300)
    return readable(subprocess.run(["pdftotext", str(folder / "so-ket.pdf"), "-"], check=True, capture_output=True,
                                   text=True).stdout)


async def test_three_years_over_telegram_read_back_from_the_workbook_and_the_rendered_draft(
        engine: Engine, settings: Settings, db_url: str, tmp_path: Path) -> None:
    clock = Clock(datetime(2025, 10, 15, 9, 30))
    phones = {chat: (unit, role) for chat, unit, role in ((BINH_SON, "21040", Role.OFFICER),
                                                           (TINH_KHE, "21211", Role.OFFICER),
                                                           (TRUONG_QUANG_TRONG, "21172", Role.OFFICER),
                                                           (SKHCN, "SKHCN", Role.MANAGER))}
    with FakeTelegram() as fake:
        binh_son, tinh_khe, truong_quang_trong, manager = (Officer(fake, chat) for chat in phones)
        async with running_bot(fake, engine, settings, clock):
            for phone, (unit, role) in zip((binh_son, tinh_khe, truong_quang_trong, manager), phones.values()):
                assert "đăng ký thành công" in await phone.say(f"/start {invite(engine, unit, role)}")
            assert "u1" in await trains(binh_son, "40")  # accepted
            assert "u2" in await trains(tinh_khe, "20")  # returned: never a result
            assert "u3" in await trains(truong_quang_trong, "30")  # accepted; the ward merges away in 2027
            assert "Đã tiếp nhận" in await manager.say("/duyet nhan u1")
            assert "Đã trả lại" in await manager.say("/duyet tralai u2 Ghi rõ số người được cử đi học")
            assert "Đã tiếp nhận" in await manager.say("/duyet nhan u3")

            clock.now = datetime(2026, 3, 2, 9, 0)
            assert "u4" in await trains(binh_son, "45")
            assert "Đã tiếp nhận" in await manager.say("/duyet nhan u4")
            if "đến ngày nào" not in await binh_son.say("/giahan"):  # the task is asked when the unit has several
                await binh_son.say("1")
            await binh_son.say("15/12/2026")
            await binh_son.say("Chờ kinh phí")
            assert "Đã gửi đề nghị số" in await binh_son.say("1")
            assert "Đã đồng ý" in await manager.say("/giahan dongy 1")

            clock.now = datetime(2026, 7, 15, 9, 0)  # Tịnh Khê is renamed Mỹ Khê from 1 July 2026
            done = cli(db_url, "seed", "--data", str(data_with(RENAMED_AND_MERGED, tmp_path)))
            assert done.returncode == 0, done.stderr
            assert "u5" in await trains(tinh_khe, "50")
            assert "Đã tiếp nhận" in await manager.say("/duyet nhan u5")

            clock.now = datetime(2027, 12, 15, 9, 0)  # Bình Sơn reports nothing in 2027
            opened = await manager.say("/baocao 2025-2027")
            assert "• 2025: 2/113" in opened and "• 2026: 2/113" in opened
            assert "• 2027: 0/112" in opened  # the ward merged into Mỹ Khê is no longer expected, not missing
            for label, caption in (("Bảng tính giai đoạn (Excel)", "Bảng tính tổng hợp giai đoạn 2025–2027."),
                                   ("Dự thảo báo cáo sơ kết (Word)", "Dự thảo báo cáo sơ kết giai đoạn 2025–2027."),
                                   ("Biểu đồ số liệu so với chỉ tiêu",
                                    "Số liệu của kế hoạch giai đoạn 2025–2027 so với chỉ tiêu.")):
                await manager.say("/baocao 2025-2027")
                await manager.press(label)
                await file_arrives(fake, SKHCN, caption)
        files = {d["file_name"]: d["content"] for d in fake.documents if d["chat_id"] == SKHCN}
    assert files["tdc-2025-2027.png"].startswith(b"\x89PNG")

    with Session(engine) as session:
        yearly = {year: {f.key: f for f in summarise(session, year, date(year, 12, 31), history=False).figures()
                         if f.task_code == "III.2"}["staff_trained_share"] for year in (2025, 2026)}
    assert (yearly[2025].value, yearly[2026].value) == (35, 47.5)  # the returned 20 counted in neither
    workbook = load_workbook(BytesIO(files["tdc-2025-2027.xlsx"]), read_only=True)
    figures = {(row[0], row[1]): row for row in workbook["Số liệu theo năm"].iter_rows(values_only=True)}
    share = figures[("III.2", "Tỷ lệ công chức, viên chức được tham gia đào tạo, cập nhật kiến thức")]
    assert share[3:] == (35, "hằng năm", yearly[2025].value, "đạt", yearly[2026].value, "đạt", "—", "—")
    missing = {row[1]: row[2:] for row in workbook["Chưa báo cáo"].iter_rows(values_only=True)}
    assert missing["UBND xã Bình Sơn"] == ("đã báo cáo", "đã báo cáo", "chưa báo cáo")
    assert missing["UBND xã Mỹ Khê"] == ("chưa báo cáo", "đã báo cáo", "chưa báo cáo")
    assert missing["UBND phường Trương Quang Trọng"] == ("đã báo cáo", "chưa báo cáo", "đã sáp nhập vào UBND xã Mỹ Khê")
    changes = [row[1:] for row in workbook["Đơn vị thay đổi"].iter_rows(min_row=2, values_only=True)]
    assert changes == [("21211", "UBND xã Mỹ Khê", "từ ngày 01/07/2026, UBND xã Tịnh Khê đổi tên thành UBND xã Mỹ Khê"),
                       ("21172", "UBND phường Trương Quang Trọng", "từ ngày 01/01/2027, UBND phường Trương Quang "
                                                                  "Trọng sáp nhập vào UBND xã Mỹ Khê")]
    granted = list(workbook["Gia hạn đã chấp thuận"].iter_rows(values_only=True))
    assert len(granted) == 2 and granted[1][:2] == (2026, "UBND xã Bình Sơn")

    draft = files["so-ket-tdc-2025-2027.docx"]
    text = rendered(draft, tmp_path) if CAN_RENDER else readable(" ".join(p.text for p in Document(BytesIO(draft)).paragraphs))
    said = text.__contains__
    assert said(readable("Sơ kết việc thực hiện Kế hoạch về tiêu chuẩn, đo lường, chất lượng giai đoạn 2025–2027"))
    assert said(readable("Năm 2025: 2/113 đơn vị đã báo cáo. Năm 2026: 2/113 đơn vị đã báo cáo. "
                         "Năm 2027: 0/112 đơn vị đã báo cáo."))
    assert said(readable("2025: 35 % (đạt); 2026: 47,5 % (đạt); 2027: chưa có số liệu; chỉ tiêu 35 mỗi năm."))
    assert said(readable("+ UBND phường Trương Quang Trọng: Cử công chức đi học + UBND xã Bình Sơn: Cử công chức đi học "
                         "- 2026:"))  # 2025's accepted results, under the names of 2025
    assert said(readable("+ UBND xã Bình Sơn: Cử công chức đi học + UBND xã Mỹ Khê: Cử công chức đi học - 2027:"))
    missing = text.split(readable("II. CÁC ĐƠN VỊ CHƯA BÁO CÁO"))[1].split(readable("III. CÁC ĐƠN VỊ ĐỔI TÊN"))[0]
    in_2026, in_2027 = missing.split("2026: ")[1].split("2027: ")
    assert "Trương Quang Trọng" in in_2026 and "Trương Quang Trọng" not in in_2027  # merged away, not missing
    assert said(readable("III. CÁC ĐƠN VỊ ĐỔI TÊN, SÁP NHẬP, THÀNH LẬP MỚI - từ ngày 01/07/2026, UBND xã Tịnh Khê đổi "
                         "tên thành UBND xã Mỹ Khê. - từ ngày 01/01/2027, UBND phường Trương Quang Trọng sáp nhập vào "
                         "UBND xã Mỹ Khê."))
    assert said(readable("IV. CÁC TRƯỜNG HỢP ĐƯỢC GIA HẠN - 2026: UBND xã Bình Sơn, nhiệm vụ I.2, đến ngày 15/12/2026."))
    assert "20 %" not in text  # what Sở KH&CN returned is no result, in no year
    assert text.index(readable("V. ĐỀ XUẤT, KIẾN NGHỊ")) < text.index(readable("Nơi nhận: - Như trên;"))
    assert text.endswith(readable("GIÁM ĐỐC (Họ và tên)"))

    path = tmp_path / "so-ket.docx"
    done = cli(db_url, "report", "--from", "2025", "--to", "2026", "--format", "docx", "--output", str(path))
    assert done.returncode == 0, done.stderr
    assert "giai đoạn 2025–2026" in "\n".join(p.text for p in Document(str(path)).paragraphs)
    done = cli(db_url, "report", "--year", "2026", "--format", "docx", "--output", str(path))
    assert done.returncode == 0, done.stderr
    yearly_draft = "\n".join(p.text for p in Document(str(path)).paragraphs)  # the year's draft, beside the one before
    assert "Tỷ lệ công chức, viên chức được tham gia đào tạo, cập nhật kiến thức: 47,5 %" in yearly_draft
    assert "so với năm 2025: 35 %" in yearly_draft


@pytest.mark.parametrize("asked", ["/baocao 2027-2025", "/baocao 2015-2026"])
def test_a_period_backwards_or_too_long_is_answered_with_the_rule(asked: str, engine: Engine, settings: Settings) -> None:
    from bot.runtime.conversation import Conversation
    from tests.test_year_end import member
    manager = member(Conversation(engine, settings, clock=Clock(datetime(2026, 3, 2, 9))), engine, "SKHCN", "601",
                     Role.MANAGER)
    assert "Giai đoạn ghi bằng hai năm: năm đầu không sau năm cuối" in manager.say(asked)


AMENDED = """  - section: VI
    number: 3
    content: Xây dựng cơ sở dữ liệu đo lường của tỉnh (bổ sung năm 2026).
    lead: Sở Khoa học và Công nghệ
    lead_units: [SKHCN]
    cooperating: ""
    cooperating_units: []
    schedule: Hàng năm
    schedule_rules: [{kind: annual}]
    years: {from: 2026}
    figures:
      - {key: records_built, label: "Số bản ghi đã xây dựng", kind: count, unit: bản ghi, target: 100}
"""


def test_a_task_added_from_2026_is_nobodys_in_2025_and_shown_so(db_url: str, tmp_path: Path) -> None:
    plan = (Path(__file__).resolve().parents[1] / "data" / "plans" / "ke-hoach-1703-quang-ngai.yaml").read_text(
        encoding="utf-8")
    backwards = tmp_path / "backwards.yaml"
    backwards.write_text(plan + AMENDED.replace("{from: 2026}", "{from: 2027, until: 2026}"), encoding="utf-8")
    refused = cli(db_url, "plan", "check", str(backwards))
    assert refused.returncode != 0 and "VI.3: years: ghi from (từ năm) và until (đến năm)" in refused.stdout
    amended = tmp_path / "amended.yaml"
    amended.write_text(plan + AMENDED, encoding="utf-8")
    loaded = cli(db_url, "plan", "load", str(amended))
    assert loaded.returncode == 0, loaded.stderr

    path = tmp_path / "giai-doan.xlsx"
    done = cli(db_url, "report", "--from", "2025", "--to", "2026", "--format", "xlsx", "--output", str(path))
    assert done.returncode == 0, done.stderr
    tasks = {row[0]: row[2:] for row in load_workbook(path, read_only=True)["Nhiệm vụ theo năm"].iter_rows(
        values_only=True)}
    assert tasks["VI.3"][:6] == ("—", "—", "—", "—", 1, 0)  # 2025: not among the year's tasks, not "0 units"
    assert tasks["VI.2"][0] == 110
    figures = {row[0]: row for row in load_workbook(path, read_only=True)["Số liệu theo năm"].iter_rows(
        values_only=True)}
    assert figures["VI.3"][5:] == ("—", "—", "—", "—")  # no data either year: said so, never a zero


def test_a_year_before_the_plan_is_said_to_have_no_task_not_counted_as_nobody_reporting(
        engine: Engine, settings: Settings, db_url: str, tmp_path: Path) -> None:
    from bot.runtime.conversation import Conversation
    from tests.test_year_end import member
    manager = member(Conversation(engine, settings, clock=Clock(datetime(2026, 3, 2, 9))), engine, "SKHCN", "601",
                     Role.MANAGER)
    listed = manager.say("/baocao 2024-2026")
    assert "• 2024: kế hoạch chưa có nhiệm vụ nào trong năm." in listed and "• 2025: 0/113 đơn vị" in listed
    path = tmp_path / "so-ket.docx"
    done = cli(db_url, "report", "--from", "2024", "--to", "2025", "--format", "docx", "--output", str(path))
    assert done.returncode == 0, done.stderr
    text = "\n".join(p.text for p in Document(str(path)).paragraphs)
    assert "Năm 2024: kế hoạch chưa có nhiệm vụ nào trong năm." in text and "Năm 2024: 0/0" not in text
    assert "2024: tất cả các đơn vị đã báo cáo" not in text.lower()
