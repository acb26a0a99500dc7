"""Sở KH&CN's desk: twenty communes' updates wait; a manager pages through them fifteen at a time, narrows them
to a unit, a task or a kind of unit (a word that names nothing is told so, never the whole queue), accepts a
page, a list of references and a range — each after a confirmation that says how many and which — and is told
in one line what was accepted and why the rest was not; a return is typed in one message."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.runtime.conversation import Conversation
from bot.settings import Settings
from models import Assignment, AuditLog, Member, ProgressUpdate, Task, Unit
from models.db import utcnow
from models.organisation import Role
from models.progress import ReviewState
from tests.cli import cli
from tests.conftest import Chat, invite
from tests.fake_telegram import FakeTelegram
from tests.test_decisions import member_of
from tests.test_report import report
from tests.test_telegram import Officer, running_bot

COMMUNES = 20


def twenty_communes_report(engine: Engine) -> list[str]:
    """I.2 done by twenty communes (Bình Sơn first), a day apart: u1 … u20, oldest first."""
    with Session(engine) as session:
        codes = ["21040", *(code for code in session.exec(select(Unit.code).where(Unit.kind == "commune")
                                                          .order_by(col(Unit.code))).all() if code != "21040")]
    for day, code in enumerate(codes[:COMMUNES]):
        report(engine, code, "I.2", "done", datetime(2025, 9, 1) + timedelta(days=day))
    return codes[:COMMUNES]


def states(engine: Engine) -> dict[int, str]:
    with Session(engine) as session:
        return dict(session.exec(select(ProgressUpdate.id, ProgressUpdate.review_state)).all())


def test_the_queue_in_pages_and_narrowed_never_the_whole_queue_for_a_word_that_names_nothing(
        conversation: Conversation, engine: Engine) -> None:
    twenty_communes_report(engine)
    manager = member_of(conversation, engine, "SKHCN", "601", Role.MANAGER)
    first = manager.say("/duyet")
    assert first.startswith("Chờ tiếp nhận: 20, cũ nhất trước. Trang 1/2.")
    items = [label for label in manager.buttons() if label.startswith("u")]
    assert len(items) == 15 and items[0].startswith("u1 · UBND xã Bình Sơn · I.2 · Đã hoàn thành · 01/09")
    assert manager.buttons()[15:] == ["Tiếp nhận cả trang (15)", "Trang sau"]
    second = manager.press("Trang sau")
    assert second.startswith("Chờ tiếp nhận: 20, cũ nhất trước. Trang 2/2.") and len(manager.buttons()) == 6
    assert manager.say("/duyet moinhat").startswith("Chờ tiếp nhận: 20, mới nhất trước.")
    assert manager.buttons()[0].startswith("u20 ")

    one_unit = manager.say("/duyet binh son")
    assert "UBND xã Bình Sơn — cập nhật u1 về nhiệm vụ I.2" in one_unit  # one item: opened at once
    assert manager.say("/duyet I.2").startswith("Chờ tiếp nhận — I.2: 20")
    assert manager.say("/duyet xa").startswith("Chờ tiếp nhận — xa: 20")
    assert manager.say("/duyet so") == 'Không có báo cáo nào của "so" đang chờ tiếp nhận.'
    nothing = manager.say("/duyet Công nghệ thông tin")
    assert nothing.startswith('Không có đơn vị, nhiệm vụ hay loại đơn vị nào khớp với "Công nghệ thông tin"')
    assert states(engine) == {n: ReviewState.PENDING for n in range(1, COMMUNES + 1)}


def test_a_page_references_and_a_range_are_accepted_after_a_confirmation(conversation: Conversation,
                                                                         engine: Engine) -> None:
    twenty_communes_report(engine)
    manager = member_of(conversation, engine, "SKHCN", "601", Role.MANAGER)
    asked = manager.say("/duyet nhan u16 u17 u18 u99")
    assert asked.startswith("Tiếp nhận 3 mục này?\nKhông ở trạng thái chờ tiếp nhận, bỏ qua: u99.")
    assert "• u16 · " in asked and "• u18 · " in asked and manager.buttons() == ["Tiếp nhận 3 mục", "Hủy"]
    assert states(engine)[16] == ReviewState.PENDING  # nothing decided before the confirmation
    assert manager.press("Tiếp nhận 3 mục") == "Đã tiếp nhận 3 mục; từng đơn vị sẽ được thông báo."

    manager.say("/duyet")
    asked = manager.press("Tiếp nhận cả trang (15)")
    assert asked.startswith("Tiếp nhận 15 mục này?")
    other = member_of(conversation, engine, "SKHCN", "602", Role.MANAGER)
    other.say("/duyet nhan u1")  # decided meanwhile by a colleague
    done = manager.press("Tiếp nhận 15 mục")
    assert done.startswith("Đã tiếp nhận 14 mục; từng đơn vị sẽ được thông báo.\nKhông tiếp nhận 1 mục:\n• u1: ")
    assert "Báo cáo u1 đã được Trần Thị Bình tiếp nhận ngày 15/10/2025." in done

    assert "Đã trả lại đơn vị: cập nhật u19" in manager.say("/duyet tralai u19 Ghi rõ số tin bài đã đăng")
    asked = manager.say("/duyet nhan u19-u20")
    assert asked.startswith("Tiếp nhận 1 mục này?") and "u20" in asked and "u19 ·" not in asked
    manager.press("Hủy")
    assert states(engine)[20] == ReviewState.PENDING
    with Session(engine) as session:
        bulk = session.exec(select(AuditLog).where(AuditLog.action == "review.accepted")).all()
    assert len(bulk) == 18 and sum(1 for entry in bulk if entry.detail.get("bulk")) == 17


def test_every_item_of_a_filter_is_accepted_after_saying_which(conversation: Conversation, engine: Engine) -> None:
    codes = twenty_communes_report(engine)
    manager: Chat = member_of(conversation, engine, "SKHCN", "601", Role.MANAGER)
    asked = manager.say("/duyet nhan I.2")
    assert asked.startswith("Tiếp nhận 20 mục này?") and "… và 5 mục khác: u16 u17 u18 u19 u20" in asked
    assert manager.press("Tiếp nhận 20 mục").startswith("Đã tiếp nhận 20 mục")
    assert manager.say("/duyet") == "Không có báo cáo nào chờ tiếp nhận."
    assert len(codes) == COMMUNES


def test_the_command_line_accepts_references_a_range_and_a_units_whole_queue(engine: Engine, db_url: str) -> None:
    twenty_communes_report(engine)
    many = cli(db_url, "review", "accept", "u1", "u2", "u5-u9", "u1")
    assert many.returncode == 0 and "Đã tiếp nhận 7 mục" in many.stdout, many.stderr
    again = cli(db_url, "review", "accept", "u2", "u3")
    assert again.returncode == 2 and "Đã tiếp nhận 1 mục" in again.stdout and "u2: Báo cáo u2 đã được" in again.stderr
    report(engine, "21040", "I.1", "done", datetime(2025, 10, 1))
    whole = cli(db_url, "review", "accept", "--unit", "21040", "--all", "--year", "2025")
    assert whole.returncode == 0 and "Đã tiếp nhận: cập nhật u21 về nhiệm vụ I.1." in whole.stdout
    refused = cli(db_url, "review", "return", "u10", "u11", "--note", "Bổ sung số liệu")
    assert refused.returncode == 2 and "Mỗi lần một báo cáo" in refused.stderr
    assert cli(db_url, "review", "accept", "x12").returncode == 2
    assert sum(state == ReviewState.ACCEPTED for state in states(engine).values()) == 9


async def test_the_province_at_the_desk_over_telegram(engine: Engine, settings: Settings) -> None:
    """113 units have each sent an update; a manager of Sở KH&CN, over the Telegram stand-in, sees the whole
    queue in 8 messages, accepts 30 in 2, and applies 30 more acceptances and 5 returns from a workbook in 4."""
    with Session(engine) as session:
        first_task = {unit: code for unit, code in session.exec(
            select(Unit.code, Task.code).join(Assignment, col(Assignment.unit_id) == Unit.id)
            .join(Task, col(Task.id) == Assignment.task_id).order_by(col(Assignment.id)))}
    for day, (unit, task) in enumerate(first_task.items()):
        report(engine, unit, task, "done", datetime(2025, 9, 1) + timedelta(minutes=day))
    assert len(first_task) == 113
    with FakeTelegram() as fake:
        async with running_bot(fake, engine, settings):
            manager = Officer(fake, 7001, quiet=0.15)
            await manager.say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")
            sent = 0
            seen = set()
            text = await manager.say("/duyet")
            sent += 1
            while True:
                seen.update(label.split(" ")[0] for label in manager.buttons() if label[:1] == "u")
                if "Trang sau" not in manager.buttons():
                    break
                text = await manager.press("Trang sau")
                sent += 1
            assert len(seen) == 113 and sent <= 8 and text.startswith("Chờ tiếp nhận: 113, cũ nhất trước. Trang 8/8.")

            asked = await manager.say("/duyet nhan u1-u30")
            assert asked.startswith("Tiếp nhận 30 mục này?")
            assert (await manager.press("Tiếp nhận 30 mục")).startswith("Đã tiếp nhận 30 mục")

            await manager.say("/duyet xlsx")
            [document] = [d for d in fake.documents if d["chat_id"] == 7001]
            book = load_workbook(BytesIO(document["content"]))
            sheet = book["Duyệt báo cáo"]
            for row in range(2, 37):  # u31 … u65: 30 accepted, the last 5 returned with a note
                returning = row > 31
                sheet.cell(row, 9, "Trả lại" if returning else "Tiếp nhận")
                sheet.cell(row, 10, "Bổ sung số liệu cụ thể" if returning else None)
            out = BytesIO()
            book.save(out)
            await manager.say("/duyet nhapfile")
            plan = await manager.document(out.getvalue(), "duyet.xlsx")
            assert "Theo bảng: 30 báo cáo sẽ được tiếp nhận, 5 báo cáo sẽ bị trả lại" in plan
            assert (await manager.press("Áp dụng")).startswith("Đã áp dụng: tiếp nhận 30, trả lại 5")
    accepted = sum(state == ReviewState.ACCEPTED for state in states(engine).values())
    returned = sum(state == ReviewState.RETURNED for state in states(engine).values())
    assert (accepted, returned) == (60, 5)


def test_what_arrived_since_the_last_look(conversation: Conversation, engine: Engine) -> None:
    twenty_communes_report(engine)
    manager = member_of(conversation, engine, "SKHCN", "601", Role.MANAGER)
    assert manager.say("/duyet moi").startswith("Chờ tiếp nhận — moi: 20")  # never looked: everything is new
    assert manager.say("/duyet moi") == "Không có báo cáo mới nào chờ tiếp nhận kể từ lần xem trước."
    with Session(engine) as session:  # looked at an hour ago; one update came in since
        session.exec(update(Member).values(review_seen_at=utcnow() - timedelta(hours=1)))  # type: ignore[call-overload]
        session.commit()
    report(engine, "21040", "I.1", "done", utcnow())
    assert "UBND xã Bình Sơn — cập nhật u21 về nhiệm vụ I.1" in manager.say("/duyet moi")


def test_a_bulk_acceptance_of_fifteen_updates_of_one_unit_tells_each_of_its_officers_once(
        conversation: Conversation, engine: Engine) -> None:
    from jobs.year import unit_year
    from models import Outbox

    with Session(engine) as session:
        skhcn = session.exec(select(Unit).where(Unit.code == "SKHCN")).one()
        codes = [item.task.code for item in unit_year(session, skhcn.id or 0, 2025, datetime(2025, 10, 15).date())]
    for day, code in enumerate(codes[:15]):
        report(engine, "SKHCN", code, "done", datetime(2025, 9, 1) + timedelta(days=day))
    manager = member_of(conversation, engine, "SKHCN", "601", Role.MANAGER)
    assert manager.say("/duyet nhan u1-u15").startswith("Tiếp nhận 15 mục này?")
    assert manager.press("Tiếp nhận 15 mục").startswith("Đã tiếp nhận 15 mục")
    with Session(engine) as session:
        told = session.exec(select(Outbox.member_id, Outbox.text).where(Outbox.kind == "accepted")).all()
        members = session.exec(select(Member.id).where(Member.unit_id == skhcn.id)).all()
    assert sorted(member for member, _ in told) == sorted(members)  # one message each, the manager too
    text = told[0][1]
    assert text.startswith("Sở KH&CN đã xem xét 15 báo cáo của Sở Khoa học và Công nghệ.\nĐã tiếp nhận:")
    assert all(f"cập nhật u{n} " in text for n in range(1, 16))


def test_a_review_workbook_returning_two_of_a_units_updates_tells_it_once_with_each_note_and_button(
        conversation: Conversation, engine: Engine) -> None:
    from handlers.review.workbook import Plan, apply
    from locales import lang
    from models import OfferedChoice, Outbox

    twenty_communes_report(engine)
    report(engine, "21040", "I.1", "done", datetime(2025, 9, 25))  # u21: Bình Sơn's second update
    member_of(conversation, engine, "21040", "501")  # an officer of Bình Sơn, to be told
    with Session(engine) as session:
        plan = Plan(accept=[], give_back=[("u1", "Ghi rõ số tin bài"), ("u21", "Bổ sung ảnh")])
        apply(session, plan, None, utcnow(), lang("vi"))
        session.commit()
        mine = session.exec(select(Outbox).where(Outbox.member_id == officer_id(engine, "501"))).all()
        buttons = session.exec(select(OfferedChoice.label, OfferedChoice.command).where(
            col(OfferedChoice.item).in_(["u1", "u21"]))).all()
    assert [row.kind for row in mine if row.kind == "returned"] == ["returned"]  # one, for both returns
    mine = [row for row in mine if row.kind == "returned"]
    assert "Trả lại, đề nghị sửa và gửi lại chậm nhất ngày" in mine[0].text
    assert "Ghi rõ số tin bài" in mine[0].text and "Bổ sung ảnh" in mine[0].text
    assert ("Sửa u1", "/sualai u1") in buttons and ("Sửa u21", "/sualai u21") in buttons


def officer_id(engine: Engine, user: str) -> int:
    from models import ChannelAccount

    with Session(engine) as session:
        return session.exec(select(ChannelAccount.member_id).where(ChannelAccount.external_id == user)).one()


def test_a_filter_of_one_is_headed_by_its_own_count_and_every_line_keeps_its_date(conversation: Conversation,
                                                                                 engine: Engine) -> None:
    import re

    twenty_communes_report(engine)
    manager = member_of(conversation, engine, "SKHCN", "601", Role.MANAGER)
    assert manager.say("/duyet binh son").startswith("Chờ tiếp nhận: 1.\n\nUBND xã Bình Sơn — cập nhật u1")
    manager.say("/duyet")
    lines = [label for label in manager.buttons() if label.startswith("u")]
    assert len(lines) == 15 and all(len(label) <= 60 for label in lines)
    assert all(re.search(r" · \d\d/\d\d$", label) for label in lines), lines  # the date, however long the name
