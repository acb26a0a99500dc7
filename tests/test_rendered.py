"""The Word draft as a reader meets it: converted to PDF by LibreOffice and read back. Every unit's name is
whole in the appendix (never broken letter by letter), the task codes sit on one line, the header row is on
every page of it, 113 units fit in about six landscape pages, and the report ends with "Nơi nhận" and the
signing block; at 1,000 units the appendix counts units by kind."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from bench.report import build
from locales import lang
from models import make_engine
from reports.docx import Signer, draft
from reports.summary import summarise
from tests.databases import BACKEND, Databases

CAN_RENDER = pytest.mark.skipif(shutil.which("libreoffice") is None or shutil.which("pdftotext") is None,
                                reason="LibreOffice and poppler are not installed")
ONCE = pytest.mark.skipif(BACKEND == "postgresql", reason="the layout does not depend on the database: "
                                                          "rendered once, in the SQLite run")
TODAY = date(2025, 10, 15)


def rendered(url: str, tmp_path: Path, signer: Signer = Signer()) -> tuple[list[str], list[str]]:
    """The draft's pages as text, and the names of the units it was made for."""
    engine = make_engine(url)
    with Session(engine) as session:
        summary = summarise(session, 2025, TODAY)
    engine.dispose()
    source = tmp_path / "bao-cao.docx"
    source.write_bytes(draft(summary, lang("vi"), signer))
    subprocess.run(["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                   check=True, capture_output=True, timeout=300)
    text = subprocess.run(["pdftotext", str(tmp_path / "bao-cao.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    return text.split("\f")[:-1], [unit.name for unit in summary.units_expected]


def readable(text: str) -> str:
    """Words as a reader sees them: pdftotext puts a space before some accented letters of the fallback font
    ("t ế"), never inside a word that was broken across lines by the layout, which stays broken here."""
    return re.sub(r" (?=[\u00C0-\u1EF9])", "", " ".join(text.split()))


ROW = 40  # words of the other cells a name's second line may come after, in the text read back from the PDF


def stands_whole(name: list[str], words: list[str]) -> bool:
    """Whether the name's words stand whole and in order in the text, each within a row's worth of the one
    before: a name wrapped at a word boundary (how wide a font is decides where) reads with the row's other
    cells between its lines, never with a word cut in pieces."""
    for start in (n for n, word in enumerate(words) if word == name[0]):
        at = start
        for word in name[1:]:
            following = [n for n in range(at + 1, min(len(words), at + 1 + ROW)) if words[n] == word]
            if not following:
                break
            at = following[0]
        else:
            return True
    return False


def test_stands_whole_reads_a_wrapped_name_and_refuses_a_broken_one() -> None:
    name = "Ban Quản lý Khu kinh tế Dung Quất và các Khu công nghiệp Quảng Ngãi".split()
    wrapped = "Ban Quản lý Khu kinh tế Dung Quất và các ✓ 0 ! … Khu công nghiệp Quảng Ngãi".split()
    broken = "Ban Quản lý Khu kinh tế Dung Qu ất và các Khu công nghiệp Quảng Ngãi".split()
    assert stands_whole(name, wrapped) and not stands_whole(name, broken)


@CAN_RENDER
@ONCE
def test_the_appendix_of_113_units_reads_whole_names_on_six_pages(db_url: str, tmp_path: Path) -> None:
    pages, names = rendered(db_url, tmp_path, Signer("KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC", "Nguyễn Văn Bình"))
    start = next(n for n, page in enumerate(pages) if "PHỤ LỤC" in page)
    appendix = pages[start:]
    assert len(appendix) <= 6
    assert all("Đơn vị" in page and "III.1" in page for page in appendix)  # the header row on every page
    words = readable(" ".join(appendix)).split()
    assert [name for name in names if not stands_whole(readable(name).split(), words)] == []
    assert not re.search(r"\b(?:II|III|IV|VI)\.\s*\n\s*\d", " ".join(appendix))  # no code cut after its dot
    body = readable(" ".join(pages[:start]))
    assert readable("Nơi nhận: - Như trên;") in body and readable("- Lưu: VT, TĐC.") in body
    assert readable("KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC") in body and readable("Nguyễn Văn Bình") in body


@CAN_RENDER
@ONCE
def test_at_a_thousand_units_the_appendix_counts_by_kind(databases: Databases, tmp_path: Path) -> None:
    url = databases.empty()
    build(url, 887)  # the 113 seeded units and 887 more communes
    pages, names = rendered(url, tmp_path)
    assert len(names) == 1000
    start = next(n for n, page in enumerate(pages) if "PHỤ LỤC" in page)
    text = readable(" ".join(pages[start:]))
    assert readable("Xã, phường, đặc khu: 983 đơn vị") in text and readable("Sở, ban, ngành: 17 đơn vị") in text
    assert len(pages) - start <= 4 and readable("GIÁM ĐỐC") in readable(" ".join(pages[:start]))
    databases.drop(url)


@CAN_RENDER
@ONCE
def test_the_draft_quotes_no_difficulty_or_result_skhcn_returned(conversation, engine, db_url: str,  # type: ignore[no-untyped-def]
                                                                 tmp_path: Path) -> None:
    from tests.conftest import Chat, invite
    from models.organisation import Role

    def officer_of(unit: str, user: str) -> Chat:
        chat = Chat(conversation, user_id=user)
        chat.say(f"/start {invite(engine, unit, Role.OFFICER)}")
        return chat

    def reports(chat: Chat, result: str, difficulty: str) -> None:
        for answer in ("/capnhat I.2", "1", result, "3", difficulty):
            chat.say(answer)
        assert "Đã lưu" in chat.say("1")

    manager = Chat(conversation, user_id="601")
    manager.say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")
    reports(officer_of("21040", "501"), "Đã phát tờ rơi ở chợ", "Thiếu kinh phí in ấn tờ rơi")
    reports(officer_of("21025", "502"), "Đã đăng tin trên đài truyền thanh", "Thiếu nhân lực biên tập tin bài")
    assert "Đã trả lại đơn vị" in manager.say("/duyet tralai u1 Ghi rõ số tin bài")
    assert "Đã tiếp nhận" in manager.say("/duyet nhan u2")
    pages, _ = rendered(db_url, tmp_path)
    text = readable(" ".join(pages))
    for accepted in ("Thiếu nhân lực biên tập tin bài", "Đã đăng tin trên đài truyền thanh"):
        assert readable(accepted) in text
    for returned in ("Thiếu kinh phí", "tờ rơi"):  # neither the returned update's result nor its difficulty
        assert readable(returned) not in text
