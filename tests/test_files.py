"""Files are stored only for a member with a form open, under a name that cannot disguise them, and leave
in a zip that is written as it is read, every file under its own name."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.settings import Settings
from handlers.machinery.evidence import attach, store
from models import EvidenceFile, ProgressUpdate
from reports.evidence import archive
from tests.conftest import invite
from tests.fake_telegram import FakeTelegram
from tests.test_telegram import Officer, running_bot

PDF = b"%PDF-1.4 minutes of the meeting"


async def test_a_strangers_file_and_one_sent_outside_a_report_are_never_fetched(engine: Engine,
                                                                                 settings: Settings) -> None:
    with FakeTelegram() as fake:
        async with running_bot(fake, engine, settings):
            assert "chưa đăng ký" in await Officer(fake, 8101).document(PDF, "bao-cao.pdf")
            officer = Officer(fake, 8102)
            await officer.say(f"/start {invite(engine, '21040')}")
            assert "/capnhat" in await officer.document(PDF, "bao-cao.pdf")
            assert "bao-cao.html" not in await officer.say("/capnhat I.2")
            for answer in ("Hoàn thành", "Đã tuyên truyền", "3", "/boqua"):
                await officer.say(answer)
            assert "Đã nhận bao-cao.pdf" in await officer.document(PDF, "bao-cao.html")  # named by what it is
        downloads = [method for method, _ in fake.calls if method == "getFile"]
    assert len(downloads) == 1  # only the one a form was open for
    with Session(engine) as session:
        assert session.exec(select(EvidenceFile.filename)).all() == ["bao-cao.pdf"]


def test_the_zip_names_two_files_of_one_name_apart(officer, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    for answer in ("/capnhat I.2", "Hoàn thành", "Đã tuyên truyền", "3", "/boqua"):
        officer.say(answer)
    assert "Đã lưu" in officer.say("Lưu")
    with Session(engine) as session:
        update = session.exec(select(ProgressUpdate).order_by(ProgressUpdate.id.desc())).first()  # type: ignore[union-attr]
        assert update is not None
        update_id = update.id
        first, second = store(session, PDF, "bien-ban.pdf"), store(session, PDF + b" v2", "bien-ban.pdf")
        assert isinstance(first, EvidenceFile) and isinstance(second, EvidenceFile)
        first.member_id = second.member_id = update.member_id
        attach(session, [first.id or 0, second.id or 0], update.member_id, progress_update_id=update_id)
        session.commit()
        out = io.BytesIO()
        assert archive(session, 2025, out) == 2
    names = sorted(zipfile.ZipFile(out).namelist())
    assert names == [f"21040 UBND xã Bình Sơn/I.2/u{update_id}-bien-ban (2).pdf",
                     f"21040 UBND xã Bình Sơn/I.2/u{update_id}-bien-ban.pdf"]
