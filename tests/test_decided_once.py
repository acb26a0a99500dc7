"""A decision is taken once. Two managers of Sở KH&CN press at the same moment — two chats of one batch in one
process, or two processes on one database — and one decision is stored, audited and told to the unit; the
other manager is told who decided what, and when."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.runtime.conversation import Conversation
from bot.settings import Settings
from models import AuditLog, Extension, Outbox, ProgressUpdate, make_engine
from models.organisation import Role
from models.plan import ExtensionState
from tests.conftest import NOW, Chat
from tests.test_decisions import asks_for_more_time, member_of

ROUNDS = 3
ACCEPTED = "Đã tiếp nhận"
RETURNED = "Đã trả lại đơn vị"
TOLD_WHO = ("đã được", "đã bị")  # "Báo cáo u1 đã được … tiếp nhận ngày …" / "Đề nghị số 1 đã bị … từ chối ngày …"


def at_once(first: Callable[[], str], second: Callable[[], str]) -> list[str]:
    """Both acts started together, each in its own thread (as the inbox runs two chats of one batch)."""
    barrier = threading.Barrier(2)
    said: list[str] = ["", ""]

    def run(index: int, act: Callable[[], str]) -> None:
        barrier.wait()
        said[index] = act()

    threads = [threading.Thread(target=run, args=(i, act)) for i, act in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return said


def _say_in_a_process(url: str, user_id: str, text: str, barrier: multiprocessing.synchronize.Barrier,
                      out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """A second bot process: its own engine and conversation over the same database."""
    engine = make_engine(url)
    conversation = Conversation(engine, Settings(database_url=url, _env_file=None), clock=lambda: NOW)
    barrier.wait()
    out.put((user_id, Chat(conversation, user_id=user_id, channel="telegram").say(text)))
    engine.dispose()


def in_two_processes(url: str, first: tuple[str, str], second: tuple[str, str]) -> list[str]:
    """(user, text) said by each of two processes at the same moment; what each was answered, in that order."""
    context = multiprocessing.get_context("fork")
    barrier, out = context.Barrier(2), context.Queue()
    processes = [context.Process(target=_say_in_a_process, args=(url, user, text, barrier, out))
                 for user, text in (first, second)]
    for process in processes:
        process.start()
    answers = dict(out.get(timeout=60) for _ in processes)
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    return [answers[first[0]], answers[second[0]]]


def sends_an_update(officer: Chat) -> int:
    for answer in ("/capnhat I.2", "1", "Đã tuyên truyền", "3", "/boqua"):
        officer.say(answer)
    assert "Đã lưu" in officer.say("1")
    with Session(officer.conversation.engine) as session:
        return session.exec(select(ProgressUpdate.id).order_by(col(ProgressUpdate.id).desc())).first() or 0


def decisions_on(engine: Engine, subject: str) -> list[str]:
    """The audit's decisions on one item (its other records, such as "update.saved", left aside)."""
    with Session(engine) as session:
        actions = session.exec(select(AuditLog.action).where(AuditLog.subject == subject)
                               .order_by(col(AuditLog.id))).all()
    return [action for action in actions if action.startswith(("review.", "extension.")) and
            action != "extension.asked"]


def notices_about(engine: Engine, ref: str) -> set[str]:
    with Session(engine) as session:
        keys = session.exec(select(Outbox.key).where(col(Outbox.key).like(f"%:{ref}"))).all()
    return {key.split(":")[0] for key in keys}


def review_state(engine: Engine, number: int) -> str:
    with Session(engine) as session:
        update = session.get(ProgressUpdate, number)
        assert update is not None
        return update.review_state


def one_decision_was_taken(engine: Engine, number: int, said: list[str]) -> None:
    """The audit, the stored state, the unit's notices and what each manager was told all agree."""
    [decision] = decisions_on(engine, f"progress_update:{number}")
    kind = decision.removeprefix("review.")
    assert review_state(engine, number) == kind
    assert notices_about(engine, f"u{number}") == {kind}
    winners = [text for text in said if ACCEPTED in text or RETURNED in text]
    losers = [text for text in said if any(words in text for words in TOLD_WHO) and f"u{number}" in text]
    assert len(winners) == 1 and len(losers) == 1, said
    assert (ACCEPTED if kind == "accepted" else RETURNED) in winners[0]
    assert ("tiếp nhận ngày" if kind == "accepted" else "trả lại ngày") in losers[0]


@pytest.fixture
def desk(conversation: Conversation, engine: Engine) -> tuple[Chat, Chat, Chat]:
    officer = member_of(conversation, engine, "21040", "501")
    first = member_of(conversation, engine, "SKHCN", "601", Role.MANAGER)
    second = member_of(conversation, engine, "SKHCN", "602", Role.MANAGER)
    return officer, first, second


def test_accept_against_return_in_one_batch_records_one_decision(desk: tuple[Chat, Chat, Chat],
                                                                  engine: Engine) -> None:
    officer, first, second = desk
    for _ in range(ROUNDS):
        number = sends_an_update(officer)
        said = at_once(lambda: first.say(f"/duyet nhan u{number}"),
                       lambda: second.say(f"/duyet tralai u{number} Bổ sung số liệu cụ thể"))
        one_decision_was_taken(engine, number, said)


def test_accept_against_accept_in_one_batch_records_one_acceptance(desk: tuple[Chat, Chat, Chat],
                                                                    engine: Engine) -> None:
    officer, first, second = desk
    for _ in range(ROUNDS):
        number = sends_an_update(officer)
        said = at_once(lambda: first.say(f"/duyet nhan u{number}"), lambda: second.say(f"/duyet nhan u{number}"))
        one_decision_was_taken(engine, number, said)


def test_accept_against_return_from_two_processes_records_one_decision(desk: tuple[Chat, Chat, Chat],
                                                                        engine: Engine, db_url: str) -> None:
    officer, _, _ = desk
    for _ in range(ROUNDS):
        number = sends_an_update(officer)
        engine.dispose()  # nothing of this process's pool crosses the fork
        said = in_two_processes(db_url, ("601", f"/duyet nhan u{number}"),
                                ("602", f"/duyet tralai u{number} Bổ sung số liệu cụ thể"))
        one_decision_was_taken(engine, number, said)


def test_approve_against_refuse_records_one_decision_and_tells_the_officer_what_is_stored(
        desk: tuple[Chat, Chat, Chat], engine: Engine, db_url: str) -> None:
    officer, first, second = desk
    for round_, until in enumerate(("22/12/2025", "23/12/2025", "24/12/2025", "25/12/2025", "26/12/2025",
                                    "29/12/2025")):
        asks_for_more_time(officer, until=until)
        with Session(engine) as session:
            number = session.exec(select(Extension.id).order_by(col(Extension.id).desc())).first()
        if round_ % 2:
            engine.dispose()
            said = in_two_processes(db_url, ("601", f"/giahan dongy {number}"),
                                    ("602", f"/giahan tuchoi {number} Không đủ căn cứ"))
        else:
            said = at_once(lambda: first.say(f"/giahan dongy {number}"),
                           lambda: second.say(f"/giahan tuchoi {number} Không đủ căn cứ"))
        [decision] = decisions_on(engine, f"extension:{number}")
        with Session(engine) as session:
            request = session.get(Extension, number)
            assert request is not None
            told = session.exec(select(Outbox.text).where(Outbox.key.like(f"extension-decided:%:{number}"))).all()
        assert decision == f"extension.{request.state}"
        assert len(told) == 1
        assert ("không đồng ý" not in told[0]) == (request.state == ExtensionState.APPROVED), told
        assert sum(any(words in text for words in TOLD_WHO) for text in said) == 1, said


def test_two_managers_accepting_overlapping_pages_at_once_take_each_item_once(desk: tuple[Chat, Chat, Chat],
                                                                              engine: Engine) -> None:
    officer, first, second = desk
    numbers = []
    for task in ("I.2", "III.2", "I.1"):
        officer.say(f"/capnhat {task}")
        for answer in ("4", "/boqua", "/boqua"):  # nothing arose: no result asked
            officer.say(answer)
        officer.say("1")
    with Session(engine) as session:
        numbers = list(session.exec(select(ProgressUpdate.id).order_by(col(ProgressUpdate.id))).all())
    refs = [f"u{n}" for n in numbers]
    said = at_once(lambda: first.say(f"/duyet nhanngay {' '.join(refs)}"),
                   lambda: second.say(f"/duyet nhanngay {' '.join(reversed(refs))}"))
    decided = [decisions_on(engine, f"progress_update:{n}") for n in numbers]
    assert decided == [["review.accepted"]] * len(numbers), said
    assert sum(int(text.split("Đã tiếp nhận ")[1].split(" ")[0]) for text in said) == len(numbers)
