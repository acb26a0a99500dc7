"""The conversation through the channel-neutral core: registration, /nhiemvu, /capnhat and every bad input."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.runtime.conversation import Conversation
from bot.settings import Settings
from handlers.machinery.messages import Incoming, Reply
from models import ChannelAccount, FormState, Invite, Member, ProgressUpdate, Task, Assignment
from models.db import utcnow
from tests.conftest import NOW, Chat, invite


def updates(engine: Engine) -> list[ProgressUpdate]:
    with Session(engine) as session:
        return list(session.exec(select(ProgressUpdate).order_by(col(ProgressUpdate.id))))


def test_an_officer_registers_sees_tasks_and_reports_progress(conversation: Conversation, engine: Engine) -> None:
    chat = Chat(conversation, user_id="42")
    assert "Bạn chưa đăng ký. Vui lòng nhập mã mời" in chat.say("xin chào")

    welcome = chat.say(f"/start {invite(engine, '21040')}")
    assert "đăng ký thành công cho UBND xã Bình Sơn" in welcome

    tasks = chat.say("/nhiemvu")
    assert "Nhiệm vụ năm 2025 của UBND xã Bình Sơn: chủ trì 3, phối hợp 12." in tasks
    assert "I.1. Tiếp tục tổ chức quán triệt" in tasks and "Hạn: 30/09/2025, 19/11/2025 (báo cáo năm) · Chưa hoàn thành, quá hạn (chưa báo cáo)" in tasks
    assert tasks.index("CHỦ TRÌ") < tasks.index("PHỐI HỢP")

    assert "Bạn cập nhật nhiệm vụ nào?" in chat.say("/capnhat")
    chat.press(next(label for label in chat.buttons() if label.startswith("V.1 ")))
    assert chat.buttons() == ["Đã hoàn thành", "Đang thực hiện", "Chưa thực hiện", "Không phát sinh"]
    chat.press("Đang thực hiện")
    assert "bao nhiêu phần trăm" in chat.say("năm mươi")  # re-asked: words are not a number
    assert "Kết quả đã thực hiện" in chat.say("50 %")
    assert "Số cuộc thanh tra, kiểm tra (cuộc)?" in chat.say("Đã kiểm tra 3 cơ sở kinh doanh xăng dầu")
    chat.say("3 cuộc")
    chat.say("1")
    assert "Chỉ tiêu" not in chat.say("15.000.000")  # fines, in đồng, Vietnamese grouping
    summary = chat.say("/boqua")
    assert "• Tiến độ: 50%" in summary and "• Số tiền xử phạt: 15.000.000 đồng" in summary
    assert chat.buttons() == ["Lưu", "Sửa một câu trả lời", "Hủy"]
    saved = chat.say("co")
    assert "Đã lưu: cập nhật u1 cho nhiệm vụ V.1 năm 2025" in saved

    [update] = updates(engine)
    assert (update.status, update.percent, update.period) == ("in_progress", 50, "2025")
    assert update.result == "Đã kiểm tra 3 cơ sở kinh doanh xăng dầu"
    assert update.figures == {"inspections": 3, "violations": 1, "fines": 15000000}
    assert "Đang thực hiện (50%)" in chat.say("/nhiemvu")


def test_typed_answers_without_diacritics_and_choice_numbers(officer: Chat, engine: Engine) -> None:
    officer.say("/capnhat")
    officer.say("i.2")  # a task by its code
    officer.say("hoan thanh")  # NFC/NFD and no diacritics all match "Đã hoàn thành"
    officer.say("Đã đăng 12 tin bài")
    officer.say("12")
    officer.say("/boqua")
    officer.say("1")
    [update] = updates(engine)
    assert update.status == "done" and update.figures == {"propaganda_items": 12}


def test_nothing_arose_needs_no_result_and_asks_no_figures(officer: Chat, engine: Engine) -> None:
    officer.say("/capnhat")
    officer.say("III.2")
    officer.say("khong phat sinh")
    assert "(Để bỏ qua câu này, gõ \"không\" hoặc /boqua.)" in officer.last[0].text
    officer.say("/boqua")
    assert "Khó khăn" in officer.last[0].text
    officer.say("/boqua")
    officer.press("Lưu")
    [update] = updates(engine)
    assert update.status == "not_arisen" and update.result == "" and update.figures == {}


def test_going_back_changes_an_answer_and_drops_what_no_longer_applies(officer: Chat, engine: Engine) -> None:
    officer.say("/capnhat")
    officer.say("III.2")
    officer.press("Đang thực hiện")
    officer.say("40%")
    officer.say("/quaylai")
    assert "bao nhiêu phần trăm" in officer.last[0].text
    officer.say("/quaylai")
    officer.press("Đã hoàn thành")
    officer.say("Xong")
    officer.say("36")
    officer.say("/boqua")
    officer.press("Lưu")
    [update] = updates(engine)
    assert update.status == "done" and update.percent is None and update.figures == {"staff_trained_share": 36}


def test_bad_numbers_are_explained_and_nothing_is_stored(officer: Chat, engine: Engine) -> None:
    officer.say("/capnhat")
    officer.say("III.2")
    officer.press("Đang thực hiện")
    assert "từ 0 đến 100; bạn đã nhập 150" in officer.say("150%")
    assert "ví dụ 60%" in officer.say("một nửa")
    assert "ví dụ 60%" in officer.say("-5")
    officer.say("100")
    officer.say("Đã cử 5 người đi học")
    assert "Tỷ lệ phần trăm" not in officer.say("abc") and "Vui lòng nhập một con số" in officer.last[0].text
    assert "trong khoảng từ 0 đến 100" in officer.say("101")
    assert updates(engine) == []


def test_a_five_thousand_character_answer_is_refused_with_its_length(officer: Chat, engine: Engine) -> None:
    officer.say("/capnhat")
    officer.say("III.2")
    officer.press("Đã hoàn thành")
    reply = officer.say("x" * 5000)
    assert "dài 5.000 ký tự, vượt quá giới hạn 1.000 ký tự" in reply
    assert "Kết quả đã thực hiện" in reply  # and asked again
    assert updates(engine) == []


def test_a_photo_or_sticker_mid_form_is_answered_and_the_question_repeated(officer: Chat) -> None:
    officer.say("/capnhat")
    officer.say("III.2")
    reply = officer.send_photo()
    assert "chỉ đọc được tin nhắn chữ" in reply and "Tình hình thực hiện nhiệm vụ?" in reply
    assert len(officer.buttons()) == 4


def test_a_forged_button_for_another_units_task_is_refused(officer: Chat, engine: Engine) -> None:
    with Session(engine) as session:
        skhcn_only = session.exec(select(Assignment).join(Task, col(Task.id) == Assignment.task_id)
                                  .where(Task.code == "I.3", Assignment.role == "lead")).one()
        state_count = len(session.exec(select(FormState)).all())
    assert state_count == 0
    officer.say("/capnhat")
    assert "Nút này không còn hiệu lực" in officer.press_id(str(skhcn_only.id))
    assert "Nút này không còn hiệu lực" in officer.press_id("AAAAAAAA")
    # A typed id of someone else's assignment is not one of this member's choices either.
    assert "chọn một số từ 1 đến 15" in officer.say(str(skhcn_only.id))
    assert not any(label.startswith("I.3 ") for label in officer.buttons())


def test_an_old_button_from_a_closed_form_is_harmless(officer: Chat) -> None:
    officer.say("/capnhat")
    stale = officer.last[0].buttons[0].id
    officer.say("/huy")
    assert "Đã hủy" in officer.last[0].text
    assert "biểu mẫu đã đóng" in officer.press_id(stale)


def test_a_restart_in_the_middle_of_a_form_resumes_at_the_same_step(officer: Chat, engine: Engine,
                                                                      settings: Settings) -> None:
    officer.say("/capnhat")
    officer.say("III.2")
    officer.press("Đang thực hiện")
    restarted = Chat(Conversation(engine, settings, clock=lambda: NOW + timedelta(days=1)), user_id="501")
    assert "bao nhiêu phần trăm" in restarted.say("/tiep")
    restarted.say("70")
    assert "Kết quả đã thực hiện" in restarted.last[0].text


def test_unknown_commands_and_chatter_get_guidance(officer: Chat) -> None:
    assert "Không có lệnh /xyz" in officer.say("/xyz")
    assert "Tôi chưa hiểu ý bạn" in officer.say("alo alo")
    assert "/capnhat" in officer.say("/help")
    officer.say("/capnhat")
    reply = officer.say("/nhiemvu")
    assert "Gõ /tiep để điền tiếp" in reply


def test_codes_wrong_expired_and_reused(conversation: Conversation, engine: Engine) -> None:
    stranger = Chat(conversation, user_id="900")
    assert "Mã mời không đúng" in stranger.say("/start ABCD-EFGH-JKMN")
    assert "Mã mời không đúng" in stranger.say("ABCDEFGHJKMN")
    assert "chưa đăng ký" in stranger.say("/nhiemvu")

    expired = invite(engine, "21040")
    with Session(engine) as session:
        row = session.exec(select(Invite)).all()[-1]
        row.expires_at = utcnow() - timedelta(days=1)
        session.add(row)
        session.commit()
    assert "đã hết hạn" in stranger.say(f"/start {expired}")

    code = invite(engine, "21040")
    assert "đăng ký thành công" in stranger.say(code.lower())  # typed, in lower case
    other = Chat(conversation, user_id="901")
    assert "đã được sử dụng" in other.say(f"/start {code}")
    with Session(engine) as session:
        assert len(session.exec(select(Member)).all()) == 1
        assert [a.external_id for a in session.exec(select(ChannelAccount))] == ["900"]


def test_capnhat_with_a_task_code_starts_at_the_status(officer: Chat) -> None:
    assert "Tình hình thực hiện nhiệm vụ?" in officer.say("/capnhat iii.2")
    officer.say("/quaylai")
    assert "Bạn cập nhật nhiệm vụ nào?" in officer.last[0].text
    assert "Bạn cập nhật nhiệm vụ nào?" in officer.say("/capnhat I.3")  # not this unit's task: asks


async def test_quick_successive_messages_of_one_chat_are_answered_in_order(officer: Chat) -> None:
    conversation = officer.conversation

    def message(text: str) -> Incoming:
        return Incoming(channel=officer.channel, chat_id=officer.user_id, user_id=officer.user_id, time=NOW, text=text)

    shown: list[str] = []

    async def send(chat_id: str, reply: Reply) -> None:
        shown.append(reply.text)

    conversation.connect(officer.channel, send)
    await asyncio.gather(*(conversation.receive(message(t)) for t in ("/capnhat", "III.2", "2", "60%")))
    assert [text.splitlines()[0] for text in shown] == [
        "Bạn cập nhật nhiệm vụ nào?", "Tình hình thực hiện nhiệm vụ?",
        "Đã thực hiện được bao nhiêu phần trăm? Ví dụ: 60%", "Kết quả đã thực hiện? Một, hai câu ngắn (tối đa 1.000 ký tự)."]


def test_an_officer_switches_to_english_and_back(officer: Chat) -> None:
    assert officer.say("/ngonngu").startswith("Ngôn ngữ: Tiếng Việt. Chọn:")
    assert officer.buttons() == ["Tiếng Việt", "English"]
    assert officer.press("English") == "From now on I will write to you in English."
    tasks = officer.say("/tasks")
    assert "Tasks of UBND xã Bình Sơn in 2025: leading 3, cooperating on 12." in tasks
    assert "I.1. Tiếp tục tổ chức quán triệt" in tasks  # the plan's wording stays as written
    assert "Due: 30 Sep 2025, 19 Nov 2025 (annual report) · Not done, overdue (not reported)" in tasks
    officer.say("/update III.2")
    assert officer.buttons() == ["Done", "In progress", "Not started", "Nothing arose this year"]
    officer.say("/cancel")
    assert officer.say("/language tieng viet") == "Từ nay tôi sẽ trả lời bạn bằng tiếng Việt."
    assert "Nhiệm vụ năm 2025 của UBND xã Bình Sơn" in officer.say("/nhiemvu")


def test_help_inside_a_form_says_how_to_go_on_and_after_it_the_whole_help(officer: Chat) -> None:
    officer.say("/capnhat")
    inside = officer.say("/help")
    assert "Bạn đang điền biểu mẫu" in inside and "/nhiemvu" not in inside
    officer.say("/huy")
    after = officer.say("/help")
    assert "Bạn đang điền biểu mẫu" not in after and "/nhiemvu" in after
