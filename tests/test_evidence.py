"""Evidence: an officer sends a photo and a PDF with an update; a manager sees them in /duyet, receives them,
returns the update; the revision carries them and is accepted; the workbook lists them, the year's zip holds
them. Files too large, of the wrong kind, or one too many
are refused clearly and not kept; the form goes on. Over the fake Telegram and Zalo servers."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.settings import Settings
from locales import lang
from models import EvidenceFile, ProgressUpdate
from models.organisation import Role
from reports.summary import summarise
from reports.xlsx import workbook
from tests.conftest import NOW, add_member, invite
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo
from tests.test_review import deliver_outbox
from tests.test_telegram import Officer, running_bot
from tests.test_zalo import Phone, polling

PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200  # a Windows program, named .pdf below


async def test_an_update_with_a_photo_and_a_pdf_reaches_the_reviewer(engine: Engine, settings: Settings,
                                                                      tmp_path: Path) -> None:
    with FakeTelegram() as fake:
        officer, manager = Officer(fake, 9100), Officer(fake, 9200)
        async with running_bot(fake, engine, settings) as application:
            await officer.say(f"/start {invite(engine, '21040')}")
            await manager.say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")
            await officer.say("/capnhat I.2")
            await officer.press("Đã hoàn thành")
            await officer.say("Đã đăng 3 tin bài trên trang thông tin điện tử xã")
            await officer.say("3")
            asked = await officer.say("/boqua")
            assert "Tài liệu kèm theo: có thể gửi ảnh hoặc tệp (PDF, Word, Excel) trước khi xác nhận" in asked
            assert "Đã nhận tệp thứ 1" in await officer.picture(PHOTO)
            summary = await officer.document(PDF, "bien-ban-hop.pdf")
            assert "Đã nhận bien-ban-hop.pdf (đã có 2 tệp)." in summary
            assert "• Tài liệu kèm theo: 2 tệp: anh.jpg, bien-ban-hop.pdf" in summary and "bien-ban-hop.pdf" in summary
            assert "Đã lưu: cập nhật u1" in await officer.press("Lưu")

            shown = await manager.say("/duyet")
            assert "Tài liệu kèm theo: anh.jpg (10 KB), bien-ban-hop.pdf" in shown and "bien-ban-hop.pdf (1 KB)" in shown
            assert manager.buttons() == ["Tiếp nhận", "Trả lại", "Để sau", "Xem tệp"]
            before = len(fake.documents)
            await manager.press("Xem tệp")
            sent = fake.documents[before:]
            assert sorted(d["file_name"] for d in sent)[-1] == "bien-ban-hop.pdf" and len(sent) == 2
            assert "Đã trả lại" in await manager.say("/duyet tralai u1 Đề nghị ghi rõ số lượt truy cập")

            await deliver_outbox(engine, application)
            await officer.press("Sửa và gửi lại")  # the form filled in, the files with it
            assert "• Tài liệu kèm theo: 2 tệp: anh.jpg, bien-ban-hop.pdf" in officer.last[-1]["text"]
            await officer.press("Sửa một câu trả lời")
            await officer.say("ket qua")  # the answer to change, by its words
            revised = await officer.say("Đã đăng 3 tin bài, 1.200 lượt truy cập")
            assert "• Kết quả: Đã đăng 3 tin bài, 1.200 lượt truy cập" in revised and "2 tệp" in revised
            assert "Đã lưu: cập nhật u2" in await officer.press("Lưu")
            assert "Bản sửa của u1" in await manager.say("/duyet")
            assert "Đã tiếp nhận: cập nhật u2 về nhiệm vụ I.2." in await manager.press("Tiếp nhận")
            unit = await manager.say("/baocao binh son")
            assert "• I.2: Đã hoàn thành đúng hạn — Sở KH&CN đã tiếp nhận (2 tệp: /baocao tep u2)" in unit

    with Session(engine) as session:
        files = session.exec(select(EvidenceFile).order_by(EvidenceFile.id)).all()
        assert [(f.mime_type, f.sha256) for f in files[:2]] == [("image/jpeg", hashlib.sha256(PHOTO).hexdigest()),
                                                                ("application/pdf", hashlib.sha256(PDF).hexdigest())]
        assert [f.progress_update_id for f in files] == [1, 1, 2, 2]  # each version keeps its own
        book = workbook(summarise(session, 2025, NOW.date()), lang("vi"))  # streamed from this session
    sheet = load_workbook(io.BytesIO(book), read_only=True)["Các cập nhật"]
    header, first, second = list(sheet.iter_rows(values_only=True))[:3]
    assert header[-1] == "Tài liệu kèm theo" and "bien-ban-hop.pdf (SHA-256 " in second[-1]
    assert (first[-4], first[-2]) == ("Trả lại", "Đề nghị ghi rõ số lượt truy cập")
    assert second[-4] == "Đã tiếp nhận"

    url = engine.url.render_as_string(hide_password=False)
    out = tmp_path / "evidence.zip"
    done = subprocess.run([sys.executable, "-m", "bot", "report", "--year", "2025", "--format", "zip", "--output",
                           str(out)], cwd=Path(__file__).parents[1], text=True, capture_output=True, timeout=60,
                          env={**os.environ, "TDC_DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    names = zipfile.ZipFile(out).namelist()
    assert "21040 UBND xã Bình Sơn/I.2/u1-bien-ban-hop.pdf" in names and len(names) == 4  # both versions
    assert zipfile.ZipFile(out).read("21040 UBND xã Bình Sơn/I.2/u1-bien-ban-hop.pdf") == PDF


async def test_bad_files_are_refused_clearly_and_nothing_is_kept(engine: Engine, settings: Settings) -> None:
    with FakeTelegram() as fake:
        officer = Officer(fake, 9300)
        async with running_bot(fake, engine, settings):
            await officer.say(f"/start {invite(engine, '21040')}")
            for answer in ("/capnhat III.2", "Không phát sinh", "/boqua", "/boqua"):  # no result, no difficulty
                await officer.say(answer)
            too_big = await officer.document(PDF, "ho-so.pdf", size=25 * 1024 * 1024)
            assert "Tệp lớn hơn 20 MB, không được lưu." in too_big and "Lưu cập nhật này?" in too_big
            disguised = await officer.document(EXECUTABLE, "bao-cao.pdf")
            assert "Loại tệp này không được nhận (chỉ ảnh, PDF, Word, Excel); tệp không được lưu." in disguised
            for n in range(10):
                await officer.document(PDF, f"tep-{n}.pdf")
            eleventh = await officer.document(PDF, "tep-11.pdf")
            assert "Mỗi báo cáo nhận tối đa 10 tệp; tệp này không được lưu." in eleventh
            assert "• Tài liệu kèm theo: 10 tệp" in eleventh  # the form goes on
            await officer.press("Lưu")
            await officer.document(PDF, "ngoai-bieu-mau.pdf")  # no form asks for a file now
            assert "gõ /capnhat" in officer.last[-1]["text"]
    with Session(engine) as session:
        kept = session.exec(select(EvidenceFile)).all()
        assert len(kept) == 10 and {f.filename for f in kept} == {f"tep-{n}.pdf" for n in range(10)}
        assert session.exec(select(ProgressUpdate.id)).all() == [1]


async def test_a_picture_sent_on_zalo_is_fetched_and_kept(engine: Engine, settings: Settings) -> None:
    add_member(engine, "21040", "zalo-1", channel="zalo")
    with FakeZalo() as fake:
        phone = Phone(fake, "zalo-1")
        async with polling(fake, engine, settings):
            for answer in ("/capnhat III.2", "4", "/boqua", "/boqua"):
                await phone.say(answer)
            before = len(fake.messages_to("zalo-1"))
            fake.send_image("zalo-1", PHOTO)
            got = "\n".join(await asyncio.to_thread(fake.wait_for_replies, "zalo-1", before, 0.15))
            assert "Đã nhận tệp thứ 1" in got and "• Tài liệu kèm theo: 1 tệp" in got
            assert "Đã lưu" in await phone.say("1")
    with Session(engine) as session:
        [kept] = session.exec(select(EvidenceFile)).all()
    assert kept.content == PHOTO and kept.progress_update_id == 1
