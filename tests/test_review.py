"""Sở KH&CN acts on what arrives: a manager accepts or returns a submission (/duyet), the unit gets the note and
the same form filled in, revises one answer and sends it again; extensions (/giahan) and hand-over while away
(/vangmat). Over the fake Telegram and Zalo servers, with the real sender delivering what the bot sends on its
own."""

from __future__ import annotations

import io
import subprocess
from datetime import date, datetime

from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.channels.telegram import CHANNEL as TELEGRAM
from bot.channels.telegram import deliverer
from bot.channels.zalo import CHANNEL as ZALO
from bot.channels.zalo import deliverer as zalo_deliverer
from bot.runtime.conversation import Conversation
from bot.runtime.sender import Sender
from bot.settings import Settings
from handlers.notices import simulate
from jobs.calendar import CALENDAR
from jobs.policy import DEFAULT_POLICY
from locales import lang
from models import AuditLog, Outbox, ProgressUpdate, Unit
from models.organisation import Role
from reports.summary import summarise
from reports.xlsx import workbook
from tests.cli import cli
from tests.conftest import NOW, Chat, add_member, invite
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo
from tests.test_telegram import Officer, running_bot
from tests.test_zalo import Phone, polling

MANAGER, OFFICER = 8100, 8200


async def deliver_outbox(engine: Engine, application) -> None:  # type: ignore[no-untyped-def]
    """What the scheduler's sender does every few minutes: deliver what the bot wrote to the outbox."""
    await Sender(engine, {TELEGRAM: deliverer(application.bot)}, per_chat_interval=0).drain()


async def test_a_returned_update_is_revised_and_accepted_over_telegram(engine: Engine, settings: Settings) -> None:
    with FakeTelegram() as fake:
        officer, manager = Officer(fake, OFFICER), Officer(fake, MANAGER)
        async with running_bot(fake, engine, settings) as application:
            await officer.say(f"/start {invite(engine, '21040')}")
            await manager.say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")
            await officer.say("/capnhat III.1")
            await officer.press("Đang thực hiện")
            await officer.say("60%")
            await officer.say("Đã tập huấn 2 lớp")
            await officer.say("80")  # the share of provincial officials trained
            await officer.say("70")
            await officer.say("/boqua")
            assert "Đã lưu: cập nhật u1" in await officer.press("Lưu")

            queue = await manager.say("/duyet")
            assert queue.startswith("Chờ tiếp nhận: 1.\n\nUBND xã Bình Sơn — cập nhật u1 về nhiệm vụ III.1")
            assert "Tình trạng: Đang thực hiện (60%)" in queue and "Kết quả: Đã tập huấn 2 lớp" in queue
            assert manager.buttons() == ["Tiếp nhận", "Trả lại", "Để sau"]
            assert "Đơn vị cần bổ sung, chỉnh sửa gì?" in await manager.press("Trả lại")
            assert "• Ghi chú: Đề nghị bổ sung số lớp" in await manager.say("Đề nghị bổ sung số lớp")
            returned = await manager.press("Trả lại")  # the confirmation names the act
            assert "Đã trả lại đơn vị: cập nhật u1 về nhiệm vụ III.1." in returned
            assert "Không có báo cáo nào chờ tiếp nhận." in returned
            again = await manager.say("/duyet tralai u1 lần nữa")  # returning twice is answered clearly
            assert again.startswith("Báo cáo u1 đã bị ") and again.endswith(" trả lại ngày 15/10/2025; đơn vị đang sửa.")

            before = len(fake.messages_to(OFFICER))
            await deliver_outbox(engine, application)
            [note] = fake.messages_to(OFFICER)[before:]
            assert "Sở KH&CN trả lại cập nhật u1 về nhiệm vụ III.1 của UBND xã Bình Sơn, đề nghị: \"Đề nghị bổ " \
                   "sung số lớp\"" in note["text"]
            assert fake.buttons(note) == ["Sửa và gửi lại"]
            reopened = await officer.press("Sửa và gửi lại")
            assert "Ghi chú của Sở KH&CN" in reopened and "• Kết quả: Đã tập huấn 2 lớp" in reopened
            assert "Bạn sửa câu trả lời nào?" in await officer.press("Sửa một câu trả lời")  # from the summary
            assert "Kết quả: Đã tập huấn 2 lớp" in officer.buttons()
            back_at_result = await officer.press("Kết quả: Đã tập huấn 2 lớp")
            assert "Câu trả lời hiện tại: Đã tập huấn 2 lớp" in back_at_result
            confirm = await officer.say("Đã tập huấn 3 lớp cho 120 người")  # three messages: back at the summary
            assert "• Kết quả: Đã tập huấn 3 lớp cho 120 người" in confirm and "• Tiến độ: 60%" in confirm
            assert "Đã lưu: cập nhật u2" in await officer.press("Lưu")

            again = await manager.say("/duyet")
            assert "cập nhật u2 về nhiệm vụ III.1" in again and "Bản sửa của u1, đã bị trả lại." in again
            assert "Báo cáo u1 đã có bản mới thay thế: đơn vị đã gửi u2." in await manager.say("/duyet nhan u1")
            accepted = await manager.press("Tiếp nhận")
            assert "Đã tiếp nhận: cập nhật u2 về nhiệm vụ III.1." in accepted
            assert "Báo cáo u2 đã được Nguyễn Văn An tiếp nhận ngày 15/10/2025." in await manager.say("/duyet nhan u2")
            overview = await manager.say("/baocao")
            assert "Chờ tiếp nhận: 0 (/duyet)" in overview

    with Session(engine) as session:
        updates = session.exec(select(ProgressUpdate).order_by(col(ProgressUpdate.id))).all()
        assert [(u.review_state, u.resubmits_id) for u in updates] == [("returned", None), ("accepted", 1)]
        actions = session.exec(select(AuditLog.action).where(col(AuditLog.action).startswith("review."))
                               .order_by(col(AuditLog.id))).all()
        assert actions == ["review.returned", "review.accepted"]
        book = workbook(summarise(session, 2025, NOW.date()), lang("vi"))  # streamed from this session
    sheet = load_workbook(io.BytesIO(book), read_only=True)["Các cập nhật"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-4:] == ("Tiếp nhận", "Người tiếp nhận", "Ghi chú khi trả lại", "Tài liệu kèm theo")
    assert [r[-4] for r in rows[1:]] == ["Trả lại", "Đã tiếp nhận"]
    assert rows[1][-2] == "Đề nghị bổ sung số lớp" and rows[1][-3] == rows[2][-3] != ""


def test_a_viewer_and_an_officer_are_refused_and_a_forged_button_does_nothing(conversation, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    officer = Chat(conversation, user_id="31")
    officer.say(f"/start {invite(engine, '21040')}")
    officer.say("/capnhat III.1")
    officer.say("4")  # không phát sinh
    officer.say("/boqua")
    officer.say("/boqua")
    officer.say("1")
    viewer = Chat(conversation, user_id="32")
    viewer.say(f"/start {invite(engine, 'SKHCN', Role.VIEWER)}")
    for chat in (officer, viewer):
        for command in ("/duyet", "/duyet nhan u1", "/duyet tralai u1 sai"):
            assert chat.say(command) == "Chỉ cán bộ quản lý của Sở KH&CN mới tiếp nhận, trả lại báo cáo của các đơn vị."
    assert "đã đóng" in viewer.press_id("forged-token")
    with Session(engine) as session:
        assert session.exec(select(ProgressUpdate.review_state)).all() == ["pending"]


async def test_a_return_reaches_a_zalo_officer_who_revises_by_number(engine: Engine, settings: Settings) -> None:
    add_member(engine, "21040", "zalo-officer", channel=ZALO, name="Lan")
    manager = Chat(Conversation(engine, settings, clock=lambda: NOW), user_id="41")
    manager.say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")
    with FakeZalo() as fake:
        phone = Phone(fake, "zalo-officer")
        async with polling(fake, engine, settings) as client:
            await phone.say("/capnhat V.3")
            await phone.say("1")  # đã hoàn thành
            await phone.say("Khảo sát 1 đợt")
            await phone.say("1")
            await phone.say("/boqua")
            await phone.say("/boqua")
            assert "Đã lưu: cập nhật u1" in await phone.say("1")
            assert "Đã trả lại đơn vị" in manager.say("/duyet tralai u1 Thiếu số mẫu đã khảo sát")
            await Sender(engine, {ZALO: zalo_deliverer(client)}, per_chat_interval=0).drain()
            note = fake.messages_to("zalo-officer")[-1]
            assert "Thiếu số mẫu đã khảo sát" in note and note.endswith("\n1. Sửa và gửi lại")
            reopened = await phone.say("1")
            assert "Ghi chú của Sở KH&CN" in reopened and "1. Lưu\n2. Sửa một câu trả lời\n3. Hủy" in reopened
            assert "Bạn sửa câu trả lời nào?" in await phone.say("2")
            at_samples = await phone.say("so mau")  # the number of samples, skipped before, picked by its words
            assert at_samples.startswith("Số mẫu") and "Câu trả lời hiện tại" not in at_samples
            assert "• Số mẫu sản phẩm, hàng hóa được khảo sát: 12 mẫu" in await phone.say("12")
            assert "Đã lưu: cập nhật u2" in await phone.say("1")
    assert "Bản sửa của u1" in manager.say("/duyet")


def test_review_from_the_command_line(engine: Engine, settings: Settings, conversation) -> None:  # type: ignore[no-untyped-def]
    colleague = add_member(engine, "21040", 555, name="Hòa")  # on Telegram: the return reaches them too
    officer = Chat(conversation, user_id="51")
    officer.say(f"/start {invite(engine, '21040')}")
    for answer in ("/capnhat I.2", "1", "Đã tuyên truyền", "3", "/boqua", "1"):
        officer.say(answer)
    url = engine.url.render_as_string(hide_password=False)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return cli(url, "review", *args)

    listed = run("list", "--year", "2025")
    assert "u1 " in listed.stdout and "21040" in listed.stdout and "1 báo cáo chờ tiếp nhận" in listed.stdout
    nothing = run("accept", "--unit", "21040", "--task", "III.1", "--year", "2025")
    assert nothing.returncode == 2 and "chưa gửi báo cáo nào về III.1 năm 2025" in nothing.stderr
    returned = run("return", "--unit", "21040", "--task", "I.2", "--year", "2025", "--note", "Ghi rõ số tin bài")
    assert returned.returncode == 0 and "Đã trả lại đơn vị: cập nhật u1 về nhiệm vụ I.2." in returned.stdout
    twice = run("return", "--unit", "21040", "--task", "I.2", "--year", "2025", "--note", "Lần nữa")
    assert twice.returncode == 2 and "đã bị python -m bot review trả lại ngày" in twice.stderr
    with Session(engine) as session:
        assert session.exec(select(AuditLog.actor).where(AuditLog.action == "review.returned")).all() == ["cli"]
        assert session.exec(select(Outbox.member_id).where(Outbox.kind == "returned")).all() == [colleague]


def test_a_returned_update_has_its_own_deadline_and_reminders(engine: Engine, conversation) -> None:  # type: ignore[no-untyped-def]
    add_member(engine, "21040", 777, name="Hòa")  # an officer on Telegram, reachable by reminders
    officer = Chat(conversation, user_id="61")
    officer.say(f"/start {invite(engine, '21040')}")
    for answer in ("/capnhat I.2", "1", "Đã tuyên truyền", "3", "/boqua", "1"):
        officer.say(answer)
    manager = Chat(conversation, user_id="62")
    manager.say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")
    manager.say("/duyet tralai u1 Ghi rõ số tin bài")  # on Wednesday 15/10/2025: due back 5 working days later
    with Session(engine) as session:
        unit = session.exec(select(Unit.id).where(Unit.code == "21040")).one()
        sent = simulate(session, date(2025, 10, 15), date(2025, 10, 31), DEFAULT_POLICY, CALENDAR, {unit})
    returns = [(day, m.text.splitlines()[0]) for day, m in sent if "/sualai u1" in m.text and m.member_id]
    assert returns[:2] == [(date(2025, 10, 15), "Nhắc việc: còn 7 ngày đến hạn 22/10/2025."),
                           (date(2025, 10, 17), "Nhắc việc: còn 5 ngày đến hạn 22/10/2025.")]  # 19/10: a Sunday
    assert len({m.key for _, m in sent}) == len(sent)  # once per stage and member


def test_an_extension_approved_moves_the_reminders_and_a_refused_one_does_not(engine: Engine, settings: Settings) -> None:
    in_september = Conversation(engine, settings, clock=lambda: datetime(2025, 9, 20, 9, 0))
    add_member(engine, "21040", 888, name="Hòa")
    officer = Chat(in_september, user_id="71", channel="telegram")  # reachable: told the answers
    officer.say(f"/start {invite(engine, '21040')}")
    manager = Chat(in_september, user_id="72")
    manager.say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")

    def asked(until: str, reason: str) -> None:
        assert "Nhiệm vụ nào cần gia hạn?" in officer.say("/giahan")
        officer.say("i.1")
        assert "Ngày phải sau 30/09/2025." in officer.say("29/09/2025")
        officer.say(until)
        assert "Gửi đề nghị này tới Sở KH&CN?" in officer.say(reason)
        assert "Đã gửi đề nghị số" in officer.say("1")

    asked("31/10/2025", "Chờ kinh phí")
    assert "xin gia hạn báo cáo nhiệm vụ I.1 đến 31/10/2025" in manager.say("/giahan")
    assert manager.buttons() == ["Đồng ý", "Từ chối"]
    assert "Ghi chú gửi đơn vị?" in manager.press("Từ chối")
    manager.say("Không đủ căn cứ")
    assert "Đã từ chối đề nghị số 1" in manager.say("1")
    assert "Đề nghị số 1 đã bị Trần Thị Bình từ chối ngày 20/09/2025." in manager.say("/giahan dongy 1")

    def reminded(unit_code: str) -> list[date]:
        with Session(engine) as session:
            unit = session.exec(select(Unit.id).where(Unit.code == unit_code)).one()
            days = simulate(session, date(2025, 9, 22), date(2025, 11, 3), DEFAULT_POLICY, CALENDAR, {unit})
        return [day for day, m in days if m.kind == "reminder" and "I.1" in m.text and m.member_id]

    refused = reminded("21040")
    assert date(2025, 9, 30) in refused  # still due 30/09

    asked("31/10/2025", "Chờ kinh phí, đã có văn bản")
    assert "Đã đồng ý: nhiệm vụ I.1 của UBND xã Bình Sơn nay có hạn 31/10/2025." in manager.say("/giahan dongy 2")
    moved = reminded("21040")
    assert date(2025, 9, 30) not in moved and date(2025, 10, 31) in moved
    assert "Hạn: 30/09/2025" not in officer.say("/nhiemvu")  # the old deadline is gone from the unit's list
    assert "Hạn: 31/10/2025 (đã gia hạn), 19/11/2025 (báo cáo năm)" in officer.last[1].text
    with Session(engine) as session:
        texts = session.exec(select(Outbox.text).where(Outbox.kind == "extension", Outbox.member_id != 0)).all()
    assert any("không đồng ý đề nghị gia hạn số 1" in t and "Không đủ căn cứ" in t for t in texts)
    assert any("đồng ý đề nghị số 2" in t for t in texts)


def test_while_away_reminders_go_to_the_colleague_and_come_back_after(engine: Engine, settings: Settings) -> None:
    in_september = Conversation(engine, settings, clock=lambda: datetime(2025, 9, 10, 9, 0))
    lan = add_member(engine, "21040", 901, name="Nguyễn Thị Lan")
    hoa = add_member(engine, "21040", 902, name="Trần Văn Hòa")
    away = Chat(in_september, user_id="902", channel="telegram")  # Hòa, already registered on Telegram
    assert "No other member" not in away.say("/vangmat 26/09/2025 lan")
    assert away.last[0].text == "Đã ghi nhận: bạn vắng mặt đến hết ngày 26/09/2025; nhắc việc sẽ gửi cho Nguyễn Thị Lan."
    with Session(engine) as session:
        unit = session.exec(select(Unit.id).where(Unit.code == "21040")).one()
        sent = simulate(session, date(2025, 9, 15), date(2025, 9, 30), DEFAULT_POLICY, CALENDAR, {unit})
    to = {(day, m.member_id) for day, m in sent if m.kind == "reminder"}
    assert (date(2025, 9, 16), lan) in to and (date(2025, 9, 16), hoa) not in to  # 14 days before 30/09: away
    assert (date(2025, 9, 29), hoa) in to and (date(2025, 9, 30), hoa) in to  # back after 26/09
    assert len([1 for day, member in to if day == date(2025, 9, 16)]) == 1  # Lan once, not twice
    assert away.say("/vangmat het") == "Chào mừng bạn trở lại: nhắc việc sẽ gửi lại cho bạn."


def test_an_update_superseded_before_review_leaves_the_queue(conversation, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    officer = Chat(conversation, user_id="91")
    officer.say(f"/start {invite(engine, '21040')}")
    for status in ("2", "1"):  # in progress, then done the same day: the second supersedes the first
        for answer in ("/capnhat I.2", status, *(("50%",) if status == "2" else ()), "Đã tuyên truyền", "3",
                       "/boqua", "1"):
            officer.say(answer)
    manager = Chat(conversation, user_id="92")
    manager.say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")
    shown = manager.say("/duyet")
    assert shown.startswith("Chờ tiếp nhận: 1.") and "cập nhật u2 về nhiệm vụ I.2" in shown
    assert "Chờ tiếp nhận: 1 (/duyet)" in manager.say("/baocao")  # counted as the queue lists: u1 left it
    assert "Báo cáo u1 đã có bản mới thay thế: đơn vị đã gửi u2." in manager.say("/duyet nhan u1")
