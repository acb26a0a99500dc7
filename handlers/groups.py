"""The bot works in private chats only: a unit's standings, a return's note or an extension's buttons must not
reach a group's members. In a group it says once, briefly, to write to it privately, and nothing else: no
command runs there, no code is taken, and a group is never anyone's delivery chat.
"""

from __future__ import annotations

from sqlmodel import Session

from handlers.machinery import audit
from handlers.machinery.messages import Incoming, Reply
from locales import Lang


def answer(session: Session, incoming: Incoming, speak: Lang) -> list[Reply]:
    """The one answer a group gets, the first time it writes; silence after that."""
    group = audit.account(incoming.channel, f"group:{incoming.chat_id}")
    if audit.latest(session, group, "group.told") is not None:
        return []
    audit.record(session, group, "group.told")
    return [Reply(speak._("I work in private chats only. Please write to me directly (open my profile and "
                          "press Message), not in a group."))]
