"""Nothing is decided from a message the person was not shown: an open form answers typed text first, a typed
number answers only the last message the member received, and every decision's buttons keep working until
the item is decided — then a press says who decided it, and when."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.runtime.conversation import Conversation
from bot.runtime.sender import Sender
from handlers.machinery.messages import Reply
from models import AuditLog, Extension, Outbox, ProgressUpdate
from models.organisation import Role
from models.plan import ExtensionState
from models.progress import ReviewState
from tests.conftest import Chat, invite


def member_of(conversation: Conversation, engine: Engine, unit: str, user_id: str, role: Role = Role.OFFICER) -> Chat:
    """Registered on Telegram, where the bot's notices reach them (the chat helper speaks the neutral types)."""
    chat = Chat(conversation, user_id=user_id, channel="telegram")
    chat.say(f"/start {invite(engine, unit, role)}")
    return chat


def manager_of(conversation: Conversation, engine: Engine) -> Chat:
    return member_of(conversation, engine, "SKHCN", "601", Role.MANAGER)


def asks_for_more_time(officer: Chat, until: str = "30/12/2025") -> None:
    officer.say("/giahan")
    officer.say("1")
    officer.say(until)
    officer.say("Chờ kinh phí")
    assert "Đã gửi đề nghị số" in officer.say("1")


def request_states(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(Extension.state).order_by(col(Extension.id))).all())


async def deliver(engine: Engine) -> list[tuple[str, Reply]]:
    """The sender's round, over a channel that records what it was given (the chat helper's "test" channel)."""
    got: list[tuple[str, Reply]] = []

    async def record(chat_id: str, reply: Reply) -> None:
        got.append((chat_id, reply))

    await Sender(engine, {"telegram": record}, per_chat_interval=0).drain()
    return got


def test_a_manager_picking_a_task_by_number_does_not_approve_a_request_that_just_arrived(
        conversation: Conversation, engine: Engine) -> None:
    officer = member_of(conversation, engine, "21040", "501")
    manager = manager_of(conversation, engine)
    assert "Bạn cập nhật nhiệm vụ nào?" in manager.say("/capnhat")
    asks_for_more_time(officer)  # queued for the manager, not yet delivered
    assert "Tình hình thực hiện nhiệm vụ?" in manager.say("1")
    for answer in ("2", "50", "Đã làm", "/boqua", "/boqua"):
        manager.say(answer)
    assert "Đã lưu" in manager.say("đồng ý")  # saves the manager's own form, decides nothing else
    assert request_states(engine) == [ExtensionState.ASKED]


def test_an_officer_at_the_status_step_keeps_their_form_when_a_colleagues_update_is_returned(
        conversation: Conversation, engine: Engine) -> None:
    officer = member_of(conversation, engine, "21040", "501")
    colleague = member_of(conversation, engine, "21040", "502")
    for answer in ("/capnhat I.2", "1", "Đã tuyên truyền", "3", "/boqua"):
        colleague.say(answer)
    assert "Đã lưu: cập nhật u1" in colleague.say("1")
    assert "Tình hình thực hiện nhiệm vụ?" in officer.say("/capnhat I.1")
    manager = manager_of(conversation, engine)
    assert "Đã trả lại đơn vị" in manager.say("/duyet tralai u1 Ghi rõ số tin bài")  # a notice to both, queued
    after = officer.say("1")
    assert "Kết quả đã thực hiện?" in after and "Ghi chú của Sở KH&CN" not in after
    with Session(engine) as session:
        assert session.exec(select(ProgressUpdate.review_state)).all() == [ReviewState.RETURNED]


async def test_a_typed_number_decides_a_request_only_once_it_is_delivered_and_is_the_last_message(
        conversation: Conversation, engine: Engine) -> None:
    officer = member_of(conversation, engine, "21040", "501")
    manager = manager_of(conversation, engine)
    asks_for_more_time(officer)
    assert "Tôi chưa hiểu ý bạn" in manager.say("1")  # never shown: nothing to answer
    assert request_states(engine) == [ExtensionState.ASKED]

    [(_, request)] = [sent for sent in await deliver(engine) if sent[0] == manager.user_id]
    assert request.text.startswith("Đề nghị gia hạn số 1") and [b.label for b in request.buttons] == ["Đồng ý", "Từ chối"]
    manager.say("/nhacnho")  # another message since: the request is no longer the last one received
    assert "Tôi chưa hiểu ý bạn" in manager.say("1")
    assert request_states(engine) == [ExtensionState.ASKED]

    asks_for_more_time(officer, "31/12/2025")
    await deliver(engine)  # request no. 2 is now the last message the manager received
    assert "Đã đồng ý: nhiệm vụ I.1 của UBND xã Bình Sơn nay có hạn 31/12/2025." in manager.say("1")
    assert request_states(engine) == [ExtensionState.ASKED, ExtensionState.APPROVED]
    with Session(engine) as session:
        record = session.exec(select(AuditLog).where(AuditLog.action == "extension.approved")).one()
    assert record.detail["via"] == "number" and record.detail["shown"].startswith("Đề nghị gia hạn số 2")

    # The first request's buttons still work, by press; afterwards a press says who decided, and when.
    assert "Đã đồng ý" in manager.press_id(request.buttons[0].id)
    again = manager.press_id(request.buttons[1].id)
    assert again == "Đề nghị số 1 đã được Trần Thị Bình đồng ý ngày 15/10/2025."
    assert request_states(engine) == [ExtensionState.APPROVED, ExtensionState.APPROVED]


async def test_a_notice_without_buttons_delivered_after_a_menu_ends_what_a_number_answers(
        conversation: Conversation, engine: Engine) -> None:
    officer = member_of(conversation, engine, "21040", "501")
    manager = manager_of(conversation, engine)
    asks_for_more_time(officer)
    await deliver(engine)
    with Session(engine) as session:  # a reminder reaches the manager after the request
        from handlers.machinery.outbox import OutgoingMessage, enqueue
        member_id = session.exec(select(Outbox.member_id).where(Outbox.kind == "extension")).first()
        enqueue(session, [OutgoingMessage("test:later", "reminder", member_id or 0, "telegram", manager.user_id,
                                          "Nhắc việc: hạn báo cáo năm")])
        session.commit()
    await deliver(engine)
    assert "Tôi chưa hiểu ý bạn" in manager.say("1")
    assert request_states(engine) == [ExtensionState.ASKED]


def review_state(engine: Engine, update_id: int) -> str:
    with Session(engine) as session:
        update = session.get(ProgressUpdate, update_id)
        assert update is not None
        return update.review_state


def test_a_word_that_is_only_part_of_accept_is_asked_back_and_decides_nothing(
        conversation: Conversation, engine: Engine) -> None:
    officer = member_of(conversation, engine, "21040", "501")
    for answer in ("/capnhat I.2", "1", "Đã tuyên truyền", "3", "/boqua"):
        officer.say(answer)
    assert "Đã lưu: cập nhật u1" in officer.say("1")
    manager = manager_of(conversation, engine)
    assert "cập nhật u1" in manager.say("/duyet u1")  # its buttons: Tiếp nhận, Trả lại, Để sau
    asked = manager.say("tiếp")  # as in "tiếp tục": not a decision
    assert "chỉ là một phần của một lựa chọn" in asked
    assert review_state(engine, 1) == ReviewState.PENDING
    assert "Đã tiếp nhận" in manager.say("tiep nhan")  # the label's whole words, without diacritics
    assert review_state(engine, 1) == ReviewState.ACCEPTED


def test_a_part_of_send_at_the_annual_reports_summary_is_asked_back(conversation: Conversation,
                                                                      engine: Engine) -> None:
    officer = member_of(conversation, engine, "21040", "501")
    officer.say("/baocaonam")
    for answer in ("1", "không", "không"):
        summary = officer.say(answer)
    assert "Gửi báo cáo năm này cho Sở KH&CN?" in summary
    assert "chỉ là một phần của một lựa chọn" in officer.say("sửa một")
    assert "Đã nhận báo cáo năm" in officer.say("gửi")


def test_a_bare_5_at_the_status_question_is_told_the_range_and_15_is_taken_as_a_percentage(
        conversation: Conversation, engine: Engine) -> None:
    officer = member_of(conversation, engine, "21040", "501")
    assert "Tình hình thực hiện nhiệm vụ?" in officer.say("/capnhat I.2")
    assert "Vui lòng chọn một số từ 1 đến 4." in officer.say("5")  # a slip beside four choices, not 5 %
    assert "Kết quả đã thực hiện?" in officer.say("15")  # far past the list: in progress, 15 %
    officer.say("Đã tập huấn")
    skipped = [officer.say("/boqua") for _ in range(2)]  # the task's figure, then the difficulties
    assert "Lưu cập nhật này?" in skipped[-1]
    assert "Đã lưu" in officer.say("1")
    with Session(engine) as session:
        update = session.exec(select(ProgressUpdate)).one()
    assert (update.status, update.percent) == ("in_progress", 15)
