"""The form engine on its own: a form declared here (no catalog strings, no plan), run against a real
database, so what is checked is the engine's behaviour — asking, reading, going back, skipping, cancelling,
resuming after a restart, confirming, dropping answers that no longer apply, expanding step groups."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from handlers.machinery.context import Context
from handlers.machinery.forms import Choice, Form, FormEngine, Number, Text
from handlers.machinery.forms.steps import Answers, Step, StepGroup
from handlers.machinery.messages import Incoming, InputKind, Reply
from locales import lang
from models import FormState, Member, Unit, init_db, make_engine

SUBMITTED: list[Answers] = []


@dataclass(frozen=True)
class Names(StepGroup):
    """One text step per item counted earlier: the kind of group /baocaonam expands from the unit's tasks."""

    def expand(self, ctx: Context, answers: Answers) -> list[Step]:
        return [Text(name=f"name.{n}", prompt=f"Name of item {n}?", max_len=20)
                for n in range(1, int(answers.get("count") or 0) + 1)]


def _submit(ctx: Context, answers: Answers) -> list[Reply]:
    SUBMITTED.append(answers)
    return [Reply("Stored.")]


ORDER = Form("order", on_submit=_submit, steps=[
    Choice(name="colour", prompt="Which colour?", choices=(("red", "Red"), ("green", "Green"), ("blue", "Xanh lá"))),
    Number(name="count", prompt="How many?", minimum=1, maximum=3, when=lambda a: a.get("colour") != "blue"),
    Names(),
    Text(name="note", prompt="Any note?", max_len=50, optional=True),
])


class Person:
    """Someone filling the form, one message (and one transaction) at a time, like the dispatcher does."""

    def __init__(self, engine: Engine, member: Member, unit: Unit) -> None:
        self.engine, self.member, self.unit = engine, member, unit
        self.forms = FormEngine(ORDER)
        self.last: list[Reply] = []

    def do(self, action: Any, *args: Any) -> str:
        with Session(self.engine, expire_on_commit=False) as session:
            ctx = Context(session, self.member, self.unit, lang("en"), datetime(2026, 3, 2, 9, 0), "test")
            self.last = action(ctx, *args)
            session.commit()
        return "\n".join(reply.text for reply in self.last)

    def say(self, text: str) -> str:
        return self.do(self._answer, Incoming("test", "1", "1", datetime(2026, 3, 2), text=text))

    def press(self, token: str) -> str:
        return self.do(self._answer, Incoming("test", "1", "1", datetime(2026, 3, 2), kind=InputKind.CHOICE,
                                              choice=token))

    def _answer(self, ctx: Context, incoming: Incoming) -> list[Reply]:
        state = self.forms.state(ctx)  # as the dispatcher reads it before handing the answer over
        assert state is not None
        return self.forms.answer(ctx, incoming, state)

    def buttons(self) -> list[str]:
        return [button.label for reply in self.last for button in reply.buttons]

    def state(self) -> FormState | None:
        with Session(self.engine) as session:
            return session.exec(select(FormState)).first()


@pytest.fixture
def person(tmp_path: Any) -> Iterator[Person]:
    engine = make_engine(f"sqlite:///{tmp_path}/forms.sqlite3")
    init_db(engine)
    with Session(engine, expire_on_commit=False) as session:
        unit = Unit(code="U1", name="Test unit", kind="commune")
        session.add(unit)
        session.flush()
        member = Member(unit_id=unit.id, role="officer", display_name="tester")
        session.add(member)
        session.commit()
    SUBMITTED.clear()
    yield Person(engine, member, unit)
    engine.dispose()


def test_a_form_is_asked_in_order_and_submitted_once_confirmed(person: Person) -> None:
    assert person.do(person.forms.start, "order").endswith("Which colour?")
    assert [b.label for b in person.last[0].buttons] == ["Red", "Green", "Xanh lá"]
    assert person.say("2") == "How many?"  # a choice by its number
    assert person.say("2") == "Name of item 1?"  # the group expands from the count just given
    assert person.say("bolt") == "Name of item 2?"
    assert person.say("nut") == "Any note?\n\n(To skip this question, type \"không\" or /boqua.)"
    confirm = person.say("urgent")
    assert "• Which colour?: Green\n• How many?: 2\n• Name of item 1?: bolt\n• Name of item 2?: nut" in confirm
    assert SUBMITTED == []
    assert person.say("save") == "Stored."
    assert SUBMITTED == [{"colour": "green", "count": 2, "name.1": "bolt", "name.2": "nut", "note": "urgent"}]
    assert person.state() is None


def test_a_wrong_answer_is_asked_again_with_the_reason(person: Person) -> None:
    person.do(person.forms.start, "order")
    assert person.say("purple").startswith("I could not tell which one you mean.")
    assert person.say("xanh la").startswith("Any note?")  # "Xanh lá" without diacritics: blue needs no count
    assert person.do(person.forms.back).endswith("Current answer: Xanh lá\n\nWhich colour?")
    assert person.say("red") == "How many?"
    assert person.say("9") == "The number must be between 1 and 3.\n\nHow many?"
    assert person.say("three") == "Please type a number, for example 3.\n\nHow many?"


def test_going_back_and_changing_an_answer_drops_what_no_longer_applies(person: Person) -> None:
    person.do(person.forms.start, "order")
    person.say("red")
    person.say("1")
    person.say("bolt")
    assert person.do(person.forms.back) == "Current answer: bolt\n\nName of item 1?"
    assert person.do(person.forms.back) == "Current answer: 1\n\nHow many?"
    assert person.do(person.forms.back).endswith("Current answer: Red\n\nWhich colour?")
    assert person.do(person.forms.back).startswith("This is the first question")
    assert person.say("3") == "Any note?\n\n(To skip this question, type \"không\" or /boqua.)"  # blue: no count, no names
    person.do(person.forms.skip)
    assert person.say("save") == "Stored."
    assert SUBMITTED == [{"colour": "blue", "note": None}]  # count and name.1, answered before, are dropped


def test_changing_one_answer_goes_straight_back_to_the_confirmation(person: Person) -> None:
    """A form pre-filled with what was sent before (a returned report): the member changes only what was asked."""
    sent = {"colour": "red", "count": 2, "name.1": "bolt", "name.2": "nut", "note": "late"}
    assert "• Name of item 2?: nut" in person.do(person.forms.start, "order", sent)  # the summary, to confirm
    assert person.say("go back") == "Current answer: late\n\nAny note?\n\n(To skip this question, type \"không\" or /boqua.)"
    for _ in range(4):  # name 2, name 1, count, colour
        person.do(person.forms.back)
    confirm = person.say("3")  # blue: no count, no names; the note still stands
    assert confirm.startswith("Your answers:\n• Which colour?: Xanh lá\n• Any note?: late")
    person.say("save")
    assert SUBMITTED == [{"colour": "blue", "note": "late"}]


def test_one_answer_is_changed_from_the_summary_in_three_messages(person: Person) -> None:
    """"Change an answer", its number, the new answer: and the summary is there again, nothing else asked."""
    person.do(person.forms.start, "order", {"colour": "red", "count": 2, "name.1": "bolt", "name.2": "nut",
                                             "note": "late"})
    which = person.say("change an answer")
    assert which.startswith("Which answer do you change?") and "Name of item 2?: nut" in person.buttons()
    assert person.say("4").startswith("Current answer: nut\n\nName of item 2?")
    confirm = person.say("washer")
    assert confirm.startswith("Your answers:") and "• Name of item 2?: washer\n• Any note?: late" in confirm
    person.say("save")
    assert SUBMITTED == [{"colour": "red", "count": 2, "name.1": "bolt", "name.2": "washer", "note": "late"}]


def test_a_changed_answer_asks_only_what_it_makes_new(person: Person) -> None:
    person.do(person.forms.start, "order", {"colour": "red", "count": 1, "name.1": "bolt", "note": "x"})
    person.say("go back")  # to the note
    person.do(person.forms.back)  # name 1
    person.do(person.forms.back)  # count
    assert person.say("2") == "Name of item 2?"  # the one new question; name 1 still stands
    assert "• Name of item 1?: bolt\n• Name of item 2?: washer\n• Any note?: x" in person.say("washer")


def test_skip_applies_to_optional_questions_only(person: Person) -> None:
    person.do(person.forms.start, "order")
    assert person.do(person.forms.skip).startswith("This question cannot be skipped.")
    assert person.state() is not None and person.state().step == "colour"  # type: ignore[union-attr]


def test_cancel_stores_nothing(person: Person) -> None:
    person.do(person.forms.start, "order")
    person.say("red")
    assert person.do(person.forms.cancel) == "Cancelled. Nothing was saved."
    assert person.state() is None and SUBMITTED == []
    assert person.do(person.forms.cancel) == "There is nothing to cancel."


def test_a_restart_resumes_at_the_same_question(person: Person) -> None:
    person.do(person.forms.start, "order")
    person.say("green")
    restarted = Person(person.engine, person.member, person.unit)  # a new engine: nothing kept in memory
    assert restarted.do(restarted.forms.resume) == "How many?"
    restarted.say("1")
    restarted.say("washer")
    restarted.do(restarted.forms.skip)
    restarted.say("1")  # "Save" by its number
    assert SUBMITTED == [{"colour": "green", "count": 1, "name.1": "washer", "note": None}]


def test_a_button_from_an_earlier_question_is_refused(person: Person) -> None:
    person.do(person.forms.start, "order")
    stale = person.last[0].buttons[0].id
    person.say("green")
    assert person.press(stale).startswith("That button is no longer valid.")
    assert person.press("forged-token").startswith("That button is no longer valid.")
    assert person.state().answers == {"colour": "green"}  # type: ignore[union-attr]
