"""The review workbook's round trip, as a desk worker does it: `/duyet xlsx`, the file filled in Excel (here
edited by openpyxl as a person would: a row deleted, a note missing, an item the unit revised meanwhile, a
reference typed by hand), `/duyet nhapfile`, the file sent back — the bot says what it will do and which rows
it cannot use and why, applies nothing before "Áp dụng", then applies each decision audited with via=xlsx. A
workbook that is not the bot's is refused in words."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

from openpyxl import Workbook, load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.runtime.conversation import Conversation
from handlers.machinery.evidence import store
from handlers.machinery.messages import Incoming, InputKind
from models import AuditLog, EvidenceFile, session_scope
from models.organisation import Role
from models.progress import ReviewState
from tests.cli import cli
from tests.conftest import NOW, Chat
from tests.test_decisions import member_of
from tests.test_report import report
from tests.test_review_desk import states

COMMUNES = ["21040", "21211", "21034", "21061", "21109", "21196"]


def sends_file(chat: Chat, engine: Engine, content: bytes, name: str) -> str:
    """A document sent in the chat, stored by the channel as any file is (handlers/evidence.store)."""
    with session_scope(engine) as session:
        stored = store(session, content, name)
        assert isinstance(stored, EvidenceFile)
        file_id = stored.id or 0
    return chat._send(Incoming(channel=chat.channel, chat_id=chat.user_id, user_id=chat.user_id, time=NOW,
                               kind=InputKind.FILE, file_id=file_id, file_name=name))


def filled(workbook: bytes) -> bytes:
    """What a desk worker does in Excel."""
    book = load_workbook(BytesIO(workbook))
    sheet = book["Duyệt báo cáo"]
    rows = {sheet.cell(row, 1).value: row for row in range(2, sheet.max_row + 1)}
    for ref, decision, note in (("u1", "Tiếp nhận", None), ("u2", "tiep nhan", None),
                                ("u3", "Trả lại", "Ghi rõ số tin bài"), ("u4", "Trả lại", None),
                                ("u6", "Tiếp nhận", None)):
        sheet.cell(rows[ref], 9, decision)
        sheet.cell(rows[ref], 10, note)
    sheet.delete_rows(rows["u5"])  # not this time
    sheet.append(["u99", "", "", "", "", "", "", "", "Tiếp nhận", ""])  # typed by hand
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_filled_review_workbook_is_read_said_and_applied_on_confirmation(conversation: Conversation,
                                                                          engine: Engine) -> None:
    for day, code in enumerate(COMMUNES):
        report(engine, code, "I.2", "done", datetime(2025, 9, 1 + day))
    manager = member_of(conversation, engine, "SKHCN", "601", Role.MANAGER)
    assert "6 báo cáo đang chờ tiếp nhận" in manager.say("/duyet xlsx")
    [attachment] = [reply.attachment for reply in manager.last if reply.attachment]
    workbook = filled(attachment.content)
    report(engine, COMMUNES[5], "I.2", "in_progress", datetime(2025, 9, 10))  # u7 revises u6 meanwhile

    assert "Hãy gửi bảng duyệt (.xlsx) đã điền vào đây" in manager.say("/duyet nhapfile")
    plan = sends_file(manager, engine, workbook, "duyet.xlsx")
    assert "Theo bảng: 2 báo cáo sẽ được tiếp nhận, 1 báo cáo sẽ bị trả lại; 0 dòng chưa có quyết định" in plan
    assert "(u4): trả lại thì cần ghi chú" in plan and "(u6): đơn vị đã gửi bản mới u7" in plan
    assert "(u99): không phải báo cáo nào của bot" in plan and "Áp dụng các quyết định này?" in plan
    assert set(states(engine).values()) == {ReviewState.PENDING}  # nothing before the confirmation
    done = manager.press("Áp dụng")
    assert done.startswith("Đã áp dụng: tiếp nhận 2, trả lại 1")
    assert [states(engine)[n] for n in range(1, 8)] == [
        ReviewState.ACCEPTED, ReviewState.ACCEPTED, ReviewState.RETURNED, *[ReviewState.PENDING] * 4]
    with Session(engine) as session:
        via = [entry.detail.get("via") for entry in session.exec(select(AuditLog).where(
            AuditLog.action.in_(["review.accepted", "review.returned"])))]  # type: ignore[attr-defined]
        left = session.exec(select(EvidenceFile)).all()
    assert via == ["xlsx"] * 3 and left == []  # applied, the file is kept no longer


def test_a_workbook_that_is_not_the_bots_is_refused_and_nothing_is_applied(conversation: Conversation,
                                                                           engine: Engine) -> None:
    report(engine, "21040", "I.2", "done", datetime(2025, 9, 1))
    manager = member_of(conversation, engine, "SKHCN", "601", Role.MANAGER)
    other = Workbook()
    other.active.append(["Mã", "Đơn vị", "", "", "", "", "", "", "Quyết định"])
    other.active.append(["u1", "UBND xã Bình Sơn", "", "", "", "", "", "", "Tiếp nhận"])
    out = BytesIO()
    other.save(out)
    manager.say("/duyet nhapfile")
    refused = sends_file(manager, engine, out.getvalue(), "bang-khac.xlsx")
    assert "Tệp này không phải bảng duyệt do bot tạo ra" in refused
    refused = sends_file(manager, engine, b"%PDF-1.4 not a workbook", "duyet.pdf")
    assert "Tệp này không phải bảng duyệt do bot tạo ra" in refused
    assert manager.press("Áp dụng") == "Chưa nhận được bảng duyệt nào; chưa áp dụng gì."
    assert states(engine) == {1: ReviewState.PENDING}


def test_the_command_line_exports_says_and_imports_on_yes(engine: Engine, db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for day, code in enumerate(COMMUNES):
        report(engine, code, "I.2", "done", datetime(2025, 9, 1 + day))
    made = cli(db_url, "review", "export", "--output", str(tmp_path / "duyet.xlsx"))
    assert made.returncode == 0 and "Đã ghi 6 báo cáo đang chờ tiếp nhận" in made.stdout, made.stderr
    workbook = tmp_path / "duyet.xlsx"
    workbook.write_bytes(filled(workbook.read_bytes()))
    said = cli(db_url, "review", "import", str(workbook))
    assert said.returncode == 0 and "Theo bảng: 3 báo cáo sẽ được tiếp nhận, 1 báo cáo sẽ bị trả lại" in said.stdout
    assert "Chưa áp dụng gì; thêm --yes để áp dụng." in said.stdout and set(states(engine).values()) == {"pending"}
    done = cli(db_url, "review", "import", str(workbook), "--yes")
    assert done.returncode == 0 and "Đã áp dụng: tiếp nhận 3, trả lại 1" in done.stdout
    assert cli(db_url, "review", "import", str(tmp_path / "missing.xlsx")).returncode == 2


def test_the_review_workbook_sent_back_without_nhapfile_is_recognised_and_said_before_anything_is_done(
        conversation: Conversation, engine: Engine) -> None:
    from handlers.machinery.evidence import expected

    for day, code in enumerate(COMMUNES):
        report(engine, code, "I.2", "done", datetime(2025, 9, 1 + day))
    manager = member_of(conversation, engine, "SKHCN", "601", Role.MANAGER)
    member_of(conversation, engine, "21040", "501")
    manager.say("/duyet xlsx")
    [attachment] = [reply.attachment for reply in manager.last if reply.attachment]
    with session_scope(engine) as session:  # a reviewer's file is fetched though no form is open; an officer's not
        assert expected(session, "telegram", "601") and not expected(session, "telegram", "501")
    plan = sends_file(manager, engine, filled(attachment.content), "duyet.xlsx")  # straight back, no /duyet nhapfile
    assert plan.startswith("Đây là bảng duyệt: bot sẽ làm như sau.")
    assert "Theo bảng: 3 báo cáo sẽ được tiếp nhận, 1 báo cáo sẽ bị trả lại" in plan and "Áp dụng" in plan
    assert set(states(engine).values()) == {ReviewState.PENDING}
    assert manager.press("Áp dụng").startswith("Đã áp dụng: tiếp nhận 3, trả lại 1")
    other = Workbook()
    out = BytesIO()
    other.save(out)
    assert "/capnhat" in sends_file(manager, engine, out.getvalue(), "khac.xlsx")  # any other file: as before
