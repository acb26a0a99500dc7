"""Private chats only: in a group the bot says once, briefly, to write to it privately, runs nothing there,
takes no code there, and never makes a group anyone's delivery chat."""

from __future__ import annotations

import asyncio

import pytest

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.channels.zalo import to_incoming
from bot.settings import Settings
from models import ChannelAccount, Invite
from models.organisation import Role
from tests.conftest import invite
from tests.fake_telegram import FakeTelegram
from tests.test_telegram import Officer, running_bot

GROUP = -100_777


async def test_a_group_is_told_once_to_write_privately_and_learns_nothing(engine: Engine, settings: Settings) -> None:
    with FakeTelegram() as fake:
        async with running_bot(fake, engine, settings):
            manager = Officer(fake, 4242)
            assert "Chào mừng" in await manager.say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")

            fake.send_group_text(GROUP, 4242, "/baocao binh son")
            [told] = await asyncio.to_thread(fake.wait_for_replies, GROUP, 0)
            assert told["text"] == "Tôi chỉ làm việc trong trò chuyện riêng. Vui lòng nhắn trực tiếp cho tôi (mở " \
                                   "trang của tôi và bấm Nhắn tin), không nhắn trong nhóm."
            code = invite(engine, "21040")
            fake.send_group_text(GROUP, 5151, f"/start {code}")
            fake.send_group_text(GROUP, 4242, "/duyet")
            assert "Không có báo cáo nào chờ tiếp nhận." in await manager.say("/duyet")  # processed in order, after those
            assert len(fake.messages_to(GROUP)) == 1  # said once; the rest unanswered

    with Session(engine) as session:
        accounts = session.exec(select(ChannelAccount.chat_id)).all()
        used = session.exec(select(Invite.used_at).order_by(Invite.id)).all()  # type: ignore[arg-type]
    assert accounts == ["4242"]  # nobody's delivery chat moved to the group
    assert used[-1] is None  # the code shown in the group was not taken


@pytest.mark.parametrize("chat_type", [None, "GROUP", "GROUP_CHAT", "private", ""])
def test_a_zalo_chat_is_private_only_when_it_says_so(chat_type: str | None) -> None:
    """Only the documented PRIVATE is a one-to-one chat: a chat of any other or no type gets the group answer,
    and the task list never goes into it."""
    chat = {"id": "g-1"} | ({"chat_type": chat_type} if chat_type is not None else {})
    update = {"event_name": "message.text.received",
              "message": {"message_id": "m1", "date": 1760000000000, "text": "/nhiemvu", "chat": chat,
                          "from": {"id": "z-1", "display_name": "Lê Văn Cường"}}}
    incoming = to_incoming(update)
    assert incoming is not None and incoming.private is False
    private = to_incoming(update | {"message": update["message"] | {"chat": {"id": "z-1", "chat_type": "PRIVATE"}}})
    assert private is not None and private.private is True
