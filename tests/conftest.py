"""Shared fixtures: a seeded database per test (SQLite, or PostgreSQL with TDC_TEST_DATABASE_URL; see
tests/databases.py), settings, a chat helper."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.runtime.conversation import Conversation
from bot.settings import Settings
from handlers.machinery.messages import Incoming, InputKind, Reply
from handlers.registration import create_invite
from models import Unit, make_engine, session_scope
from models.organisation import Role
from tests.databases import BACKEND, Databases

# A fixed clock inside the plan's first reporting year: 15 October 2025, 09:30 in Quảng Ngãi.
NOW = datetime(2025, 10, 15, 9, 30)


def pytest_report_header() -> str:
    return f"database: {BACKEND}"


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Databases:
    return Databases(tmp_path_factory.mktemp("databases"))


@pytest.fixture
def db_url(databases: Databases) -> Iterator[str]:
    url = databases.copy()
    yield url
    databases.drop(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    all_returned(engine)
    engine.dispose()


def all_returned(engine: Engine) -> None:
    """Every connection back in the pool once the test is over. One a test or the bot leaves checked out (a
    session left open in a reference cycle) comes back only when the garbage collector runs: the pool then
    empties on some runs and not others."""
    assert engine.pool.checkedout() == 0, f"{engine.pool.checkedout()} connection(s) never returned to the pool"


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, _env_file=None)


def invite(engine: Engine, unit_code: str, role: Role = Role.OFFICER, days: int = 14) -> str:
    with session_scope(engine) as session:
        unit = session.exec(select(Unit).where(Unit.code == unit_code)).one()
        code, _ = create_invite(session, unit, role, timedelta(days=days))
    return code


class Chat:
    """One person talking to the bot through the channel-neutral core, as a console or test would."""

    def __init__(self, conversation: Conversation, user_id: str = "u1", channel: str = "test") -> None:
        self.conversation = conversation
        self.user_id = user_id
        self.channel = channel
        self.last: list[Reply] = []

    def say(self, text: str) -> str:
        return self._send(self.incoming(text))

    def incoming(self, text: str) -> Incoming:
        return Incoming(channel=self.channel, chat_id=self.user_id, user_id=self.user_id, time=NOW, text=text,
                        name="Trần Thị Bình")

    def press(self, label: str) -> str:
        for reply in reversed(self.last):
            for choice in reply.buttons:
                if choice.label == label:
                    return self.press_id(choice.id)
        raise AssertionError(f"no button {label!r} in {[c.label for r in self.last for c in r.buttons]}")

    def press_id(self, choice_id: str) -> str:
        return self._send(Incoming(channel=self.channel, chat_id=self.user_id, user_id=self.user_id,
                                   time=NOW, kind=InputKind.CHOICE, choice=choice_id))

    def send_photo(self) -> str:
        return self._send(Incoming(channel=self.channel, chat_id=self.user_id, user_id=self.user_id,
                                   time=NOW, kind=InputKind.OTHER))

    def buttons(self) -> list[str]:
        return [c.label for r in self.last for c in r.buttons]

    def _send(self, incoming: Incoming) -> str:
        self.last = self.conversation.handle_sync(incoming)
        assert self.last and all(r.text.strip() for r in self.last), "every message gets a non-empty answer"
        return "\n".join(r.text for r in self.last)


@pytest.fixture
def conversation(engine: Engine, settings: Settings) -> Conversation:
    return Conversation(engine, settings, clock=lambda: NOW)


@pytest.fixture
def officer(conversation: Conversation, engine: Engine) -> Chat:
    """An officer of UBND xã Bình Sơn (21040), already registered."""
    chat = Chat(conversation, user_id="501")
    chat.say(f"/start {invite(engine, '21040')}")
    return chat


def add_member(engine: Engine, unit_code: str, chat_id: int, role: Role = Role.OFFICER,
               channel: str = "telegram", name: str = "") -> int:
    """A member registered on a channel, as if they had used an invitation (the tests of registration do that)."""
    from models import ChannelAccount, Member

    with session_scope(engine) as session:
        unit = session.exec(select(Unit).where(Unit.code == unit_code)).one()
        member = Member(unit_id=unit.id, role=role, display_name=name or f"member {chat_id}")
        session.add(member)
        session.flush()
        session.add(ChannelAccount(member_id=member.id, channel=channel, external_id=str(chat_id),
                                   chat_id=str(chat_id)))
        return member.id or 0
