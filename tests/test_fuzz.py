"""Anything a phone can send, at every form step and every command: arbitrary Unicode (NFD Vietnamese, emoji,
right-to-left text, control characters), 10,000-character strings, SQL fragments, Markdown and HTML specials.

Whatever arrives: nothing escapes as an error (the journal has no failed update), every reply is non-empty
and fits one Telegram message, and free text is stored exactly as typed. Replies are sent as plain text (no
parse mode), so no character can break their formatting; the test checks that no parse mode is set.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.channels.telegram import build_application
from bot.runtime.conversation import Conversation
from bot.settings import Settings
from handlers.machinery.forms.engine import SKIP_WORDS
from handlers.machinery.messages import Reply, clean_text
from jobs.text import fold
from models import InboundUpdate, ProgressUpdate
from models.inbound import InboundStatus
from models.organisation import Role
from tests.conftest import Chat, invite

TELEGRAM_LIMIT = 4096
NASTY = [
    unicodedata.normalize("NFD", "Đã hoàn thành tập huấn đo lường"), "hoàn thành", "😀👍🏽🇻🇳", "مرحبا بالعالم",
    "\u202eRTL override", "\x00\x07\x1b[31m", "\r\n\t", "'; DROP TABLE unit; --", "1 OR 1=1", "*bold* _it_ `code` [l](x)",
    "<b>&amp;</b><script>", "%s %d {0} {name}", "\ufeff\u200b", "٣٠٪", "60%", "-1", "1e308", "NaN", "/", "/ ", "/\u00a0x", "@bot",
]
TEXT = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=300),  # no lone surrogates: not valid UTF-8
    st.sampled_from(NASTY),
    st.lists(st.sampled_from(NASTY), min_size=2, max_size=6).map(" ".join),
    st.sampled_from(["a", "Đ", "😀", "\u0301", "x' OR '1'='1"]).map(lambda s: (s * 10_000)[:10_000]),
)
FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# (the place, what leads there from a fresh start)
STEPS = {
    "task": ["/capnhat"],
    "status": ["/capnhat III.2"],
    "percent": ["/capnhat III.2", "Đang thực hiện"],
    "result": ["/capnhat III.2", "Đang thực hiện", "60%"],
    "figure": ["/capnhat III.2", "Đang thực hiện", "60%", "Đã cử 12 công chức"],
    "difficulties": ["/capnhat III.2", "khong phat sinh", "/boqua"],
    "confirm": ["/capnhat III.2", "khong phat sinh", "/boqua", "/boqua"],
    "annual": ["/baocaonam"],
    "idle": [],
}


@pytest.fixture
def people(conversation: Conversation, engine: Engine) -> dict[str, Chat]:
    chats = {"officer": Chat(conversation, user_id="fz-officer"), "manager": Chat(conversation, user_id="fz-manager"),
             "admin": Chat(conversation, user_id="fz-admin")}
    chats["officer"].say(f"/start {invite(engine, '21040')}")
    chats["manager"].say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")
    chats["admin"].say(f"/start {invite(engine, 'SKHCN', Role.ADMIN)}")
    return chats


def check(replies: list[Reply]) -> None:
    assert replies, "every message is answered"
    for reply in replies:
        assert reply.text.strip(), "no empty reply"
        assert len(reply.text) <= TELEGRAM_LIMIT, len(reply.text)
        for choice in reply.buttons:
            assert 0 < len(choice.id.encode()) <= 64 and choice.label.strip()  # Telegram's callback_data limit


def failures(engine: Engine) -> Iterator[str]:
    with Session(engine) as session:
        yield from session.exec(select(InboundUpdate.error).where(InboundUpdate.status == InboundStatus.FAILED))


@pytest.mark.parametrize("step", list(STEPS))
def test_every_form_step_survives_anything(people: dict[str, Chat], engine: Engine, step: str) -> None:
    officer = people["officer"]

    @FUZZ
    @given(text=TEXT)
    def typed(text: str) -> None:
        officer.say("/huy")
        for answer in STEPS[step]:
            officer.say(answer)
        check(officer.conversation.handle_sync(officer.incoming(text)))
        assert list(failures(engine)) == []

    typed()


@pytest.mark.parametrize("who, command", [
    ("officer", "/capnhat "), ("officer", "/nhiemvu "), ("officer", "/ngonngu "), ("officer", "/"),
    ("officer", "/baocaonam "), ("officer", "/tiep "), ("officer", "/quaylai "), ("officer", "/boqua "),
    ("officer", "/huy "), ("officer", "/nhacnho "), ("officer", "/help "), ("officer", "/baocao "),
    ("manager", "/baocao "), ("manager", "/sukien "), ("admin", "/moi "), ("stranger", "/start "),
    ("stranger", ""),
])
def test_every_command_survives_any_arguments(people: dict[str, Chat], conversation: Conversation, engine: Engine,
                                              who: str, command: str) -> None:
    chat = people.get(who) or Chat(conversation, user_id="fz-stranger")

    @FUZZ
    @given(text=TEXT)
    def typed(text: str) -> None:
        check(conversation.handle_sync(chat.incoming(command + text)))
        if who != "stranger":
            chat.say("/huy")  # whatever the command opened
        assert list(failures(engine)) == []

    typed()


def skips(text: str) -> bool:
    """Whether an optional question takes this answer as "skip it" (handlers/machinery/forms/engine.py)."""
    return fold(text).strip(" .!") in SKIP_WORDS or text.strip() == "-"


def test_free_text_is_stored_as_typed_less_what_cannot_be_seen(people: dict[str, Chat], engine: Engine) -> None:
    """The unit's own wording is kept, in NFC, without control or direction characters (handlers/machinery/messages.py
    `clean_text`): what a reviewer reads is what the officer saw on their screen."""
    officer = people["officer"]
    stored = st.one_of(TEXT, st.text(min_size=1, max_size=1000)).filter(
        lambda t: clean_text(t).strip() and len(clean_text(t)) <= 1000 and not clean_text(t).startswith("/")
        and not skips(clean_text(t)))  # "BOQUA", "không", "-" skip an optional question, as documented

    @FUZZ
    @given(text=stored)
    def typed(text: str) -> None:
        officer.say("/huy")
        officer.say("/capnhat III.2")
        officer.say("khong phat sinh")
        officer.say(text)
        officer.say("/boqua")
        assert officer.say("Lưu").startswith("Đã lưu")
        with Session(engine) as session:
            latest = session.exec(select(ProgressUpdate).order_by(col(ProgressUpdate.id).desc())).first()
        assert latest is not None and latest.result == clean_text(text)
        assert not any(ch in latest.result for ch in "\x00\x1b\u202e\u200f")

    typed()
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(ProgressUpdate)).one() >= 1


def test_replies_go_out_as_plain_text(settings: Settings) -> None:
    configured = Settings(database_url=settings.database_url, telegram_token="1:x", _env_file=None)
    assert build_application(configured).bot.defaults is None  # no default parse mode: text is never markup
