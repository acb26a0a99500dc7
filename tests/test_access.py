"""Every door checked: each role against each command and button, forged and replayed buttons, another unit's
task typed by hand, invitation codes guessed until the account is locked out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.runtime.conversation import Conversation
from models import AuditLog, ProgressUpdate
from models.organisation import Role
from tests.conftest import Chat, invite

REFUSED = {
    "read": "Lệnh này dành cho cán bộ quản lý và theo dõi của Sở KH&CN.",
    "remind": "Chỉ cán bộ quản lý của Sở KH&CN mới nhắc được các đơn vị.",
    "event": "Chỉ cán bộ quản lý của Sở KH&CN mới ghi nhận được sự kiện.",
    "invite": "Chỉ quản trị viên mới được mời thành viên.",
}
# What each role may do, written out here rather than read from handlers/machinery/access.py, so that a change of the
# policy shows up as a failing test to be read and agreed to.
ALLOWED: dict[str, set[Role]] = {
    "/nhiemvu": set(Role), "/capnhat": set(Role), "/baocaonam": set(Role), "/nhacnho": set(Role),
    "/ngonngu": set(Role), "/help": set(Role),
    "/baocao": {Role.VIEWER, Role.MANAGER, Role.ADMIN}, "/baocao xlsx": {Role.VIEWER, Role.MANAGER, Role.ADMIN},
    "/baocao nhacnho": {Role.MANAGER, Role.ADMIN},
    "/sukien III.3 30": {Role.MANAGER, Role.ADMIN},
    "/moi 21040 officer": {Role.ADMIN},
}
REFUSAL_OF = {"/baocao": "read", "/baocao xlsx": "read", "/baocao nhacnho": "remind", "/sukien III.3 30": "event",
              "/moi 21040 officer": "invite"}


def member(conversation: Conversation, engine: Engine, role: Role, user_id: str) -> Chat:
    chat = Chat(conversation, user_id=user_id)
    chat.say(f"/start {invite(engine, 'SKHCN' if role is not Role.OFFICER else '21040', role)}")
    return chat


@pytest.mark.parametrize("role", list(Role))
def test_each_role_against_each_command(conversation: Conversation, engine: Engine, role: Role) -> None:
    chat = member(conversation, engine, role, f"role-{role}")
    for command, allowed in ALLOWED.items():
        answer = chat.say(command)
        chat.say("/huy")
        if role in allowed:
            assert not any(refusal in answer for refusal in REFUSED.values()), (role, command, answer)
        else:  # refused for the first permission the role lacks: reading comes before reminding
            assert answer in (REFUSED["read"], REFUSED[REFUSAL_OF[command]]), (role, command, answer)


def test_strangers_can_only_present_a_code(conversation: Conversation) -> None:
    stranger = Chat(conversation, user_id="nobody")
    for command in ALLOWED:
        assert "Bạn chưa đăng ký" in stranger.say(command), command


def test_an_administrator_invites_in_the_chat_and_the_code_works_once(conversation: Conversation,
                                                                        engine: Engine) -> None:
    admin = member(conversation, engine, Role.ADMIN, "admin")
    answer = admin.say("/moi 21040 can bo")
    code = answer.splitlines()[1]
    assert answer.startswith("Mã mời cho UBND xã Bình Sơn (cán bộ đầu mối), có hiệu lực đến")
    newcomer = Chat(conversation, user_id="newcomer")
    assert "đăng ký thành công cho UBND xã Bình Sơn" in newcomer.say(code)
    assert "đã được sử dụng" in Chat(conversation, user_id="late").say(code)
    assert admin.say("/moi NOPE").startswith("Để mời một người: /moi MÃ_ĐƠN_VỊ")
    with Session(engine) as session:
        actions = [(a.actor, a.action) for a in session.exec(select(AuditLog).order_by(col(AuditLog.id)))]
    admin_id = next(actor for actor, action in actions if action == "invite.used")  # the admin registered first
    assert (admin_id, "invite.created") in actions  # the chat invitation is the admin's, not the command line's
    assert [action for _, action in actions].count("invite.used") == 2  # the admin's own, then the newcomer's


def test_forged_and_replayed_buttons_reach_nothing(conversation: Conversation, engine: Engine, officer: Chat) -> None:
    manager = member(conversation, engine, Role.MANAGER, "manager")
    manager.say("/baocao chua")
    remind_token = next(c.id for r in manager.last for c in r.buttons if c.label == "Nhắc ngay")
    viewer = member(conversation, engine, Role.VIEWER, "viewer")
    assert "Nhắc ngay" not in viewer.buttons()
    # A manager's button, replayed by a viewer: the token means nothing outside the manager's own menu.
    assert viewer.press_id(remind_token).startswith("Nút này thuộc một biểu mẫu đã đóng")

    officer.say("/capnhat")
    assert officer.press_id("forged-123").startswith("Nút này không còn hiệu lực. Vui lòng dùng các nút bên dưới.")
    officer.say("/huy")
    assert "Nút này thuộc một biểu mẫu đã đóng" in officer.press_id(remind_token)
    with Session(engine) as session:
        assert session.exec(select(ProgressUpdate)).all() == []


def test_another_units_task_typed_by_hand_is_not_offered(officer: Chat) -> None:
    assert "Bạn cập nhật nhiệm vụ nào?" in officer.say("/capnhat I.3")  # I.3 is Sở KH&CN's, not Bình Sơn's
    assert not any(label.startswith("I.3 ") for label in officer.buttons())
    assert officer.say("I.3").startswith("Tôi chưa xác định được bạn chọn mục nào.")


def test_five_wrong_codes_lock_the_account_out_for_an_hour(conversation: Conversation, engine: Engine) -> None:
    guesser = Chat(conversation, user_id="guesser")
    for attempt in range(5):
        assert "Mã mời không đúng" in guesser.say(f"/start WRONGCODE{attempt:03d}"), attempt
    good = invite(engine, "21040")
    assert guesser.say(good).startswith("Bạn đã nhập sai mã mời quá nhiều lần. Vui lòng thử lại sau")
    assert "Mã mời không đúng" in Chat(conversation, user_id="someone-else").say("/start WRONGCODE999")
    with Session(engine) as session:  # an hour later
        session.exec(update(AuditLog).where(col(AuditLog.actor) == "test:guesser")  # type: ignore[call-overload]
                     .values(at=AuditLog.at - timedelta(minutes=61)))
        session.commit()
    assert "đăng ký thành công" in guesser.say(good)
