"""What pruning keeps: a month and more after the fact, `prune` has taken the texts people typed and the
notices' words, but not the record that a once-only message went out (nobody gets the year's task list again),
nor the buttons of an item still to be decided (a request waiting, a return still open)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.runtime.conversation import Conversation
from bot.runtime.retention import prune
from handlers.notices import scan
from jobs.calendar import CALENDAR
from jobs.policy import DEFAULT_POLICY
from models import OfferedChoice, Outbox
from models.db import utcnow
from models.organisation import Role
from models.outbox import OutboxStatus
from tests.conftest import NOW
from tests.test_decided_once import sends_an_update
from tests.test_decisions import asks_for_more_time, member_of

LATER = NOW + timedelta(days=35)  # Wednesday 19/11/2025, 09:30


def a_month_passes(engine: Engine) -> None:
    """Everything sent so far was sent 35 days ago; then the daily prune runs."""
    with Session(engine) as session:
        session.exec(update(Outbox).values(status=OutboxStatus.SENT, created_at=utcnow() - timedelta(days=35)))  # type: ignore[call-overload]
        session.exec(update(OfferedChoice).values(created_at=utcnow() - timedelta(days=35)))  # type: ignore[call-overload]
        session.commit()
    prune(engine, keep_days=30)


def kickoffs(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(Outbox.key).where(Outbox.kind == "kickoff")).all())


def test_the_years_task_list_is_not_sent_again_after_pruning(conversation: Conversation, engine: Engine) -> None:
    member_of(conversation, engine, "21040", "501")
    with Session(engine) as session:
        scan(session, NOW, DEFAULT_POLICY, CALENDAR)
        session.commit()
    sent = kickoffs(engine)
    assert sent
    a_month_passes(engine)
    with Session(engine) as session:
        scan(session, LATER, DEFAULT_POLICY, CALENDAR)
        session.commit()
        kept = session.exec(select(Outbox).where(Outbox.kind == "kickoff")).all()
    assert [row.status for row in kept] == [OutboxStatus.SENT] * len(sent)  # no list queued again
    assert all(row.text == "" and row.chat_id == "" for row in kept)  # the words are gone, the record stays


def button(engine: Engine, member_chat: str, label: str) -> str:
    """The token of a button a notice offered to a member (the newest one with that label)."""
    with Session(engine) as session:
        rows = session.exec(select(Outbox.buttons).where(Outbox.chat_id == member_chat)
                            .order_by(col(Outbox.id).desc())).all()
    return next(token for buttons in rows for token, shown in buttons if shown == label)


def test_the_buttons_of_an_undecided_item_outlive_pruning(conversation: Conversation, engine: Engine) -> None:
    officer = member_of(conversation, engine, "21040", "501")
    manager = member_of(conversation, engine, "SKHCN", "601", Role.MANAGER)
    asks_for_more_time(officer)
    approve = button(engine, "601", "Đồng ý")
    accepted = sends_an_update(officer)
    manager.say(f"/duyet u{accepted}")
    accept_shown = next(c.id for r in manager.last for c in r.buttons if c.label == "Tiếp nhận")
    assert "Đã tiếp nhận" in manager.press_id(accept_shown)  # decided: its buttons have nothing left to do
    returned = sends_an_update(officer)
    assert "Đã trả lại đơn vị" in manager.say(f"/duyet tralai u{returned} Ghi rõ số tin bài")
    revise = button(engine, "501", "Sửa và gửi lại")

    a_month_passes(engine)

    with Session(engine) as session:
        kept = set(session.exec(select(OfferedChoice.token)).all())
    assert approve in kept and revise in kept and accept_shown not in kept
    assert "Đã đồng ý" in manager.press_id(approve)
    assert "Nút này thuộc một biểu mẫu đã đóng" not in officer.press_id(revise)
