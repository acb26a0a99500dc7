"""Vietnamese schedule phrases → schedules → deadlines, and an honest "not understood" for the rest."""

from __future__ import annotations

from datetime import date

import pytest

from jobs.schedule import NotUnderstood, Rule, RuleKind, deadlines_in_year, parse_schedule
from tests.test_plan_data import PLAN

ONCE_Q3_2025 = Rule(RuleKind.ONCE, due=date(2025, 9, 30))
ANNUAL = Rule(RuleKind.ANNUAL)


@pytest.mark.parametrize("task", PLAN["tasks"], ids=lambda t: f"{t['section']}.{t['number']}")
def test_every_seed_phrase_parses_to_the_meaning_in_the_plan_data(task: dict) -> None:
    assert parse_schedule(task["schedule"]) == tuple(Rule.from_dict(r) for r in task["schedule_rules"])


@pytest.mark.parametrize("phrase, expected", [
    ("Hàng năm", (ANNUAL,)),
    ("hằng năm", (ANNUAL,)),
    ("hang nam", (ANNUAL,)),
    ("Thường xuyên", (ANNUAL,)),
    ("Ít nhất 1 lần/năm", (ANNUAL,)),
    ("01 lớp/năm", (ANNUAL,)),
    ("Quý III/2025", (ONCE_Q3_2025,)),
    ("quý 3 năm 2025", (ONCE_Q3_2025,)),
    ("QUY III NAM 2025", (ONCE_Q3_2025,)),
    ("Quý III năm 2025", (ONCE_Q3_2025,)),
    ("Quý IV/2026", (Rule(RuleKind.ONCE, due=date(2026, 12, 31)),)),
    ("Quý II hàng năm", (Rule(RuleKind.YEARLY, month=6, day=30),)),
    ("trong quý I hằng năm", (Rule(RuleKind.YEARLY, month=3, day=31),)),
    ("Sau khi Trung ương ban hành Đề án", (Rule(RuleKind.EVENT),)),
    ("Ngay sau khi trung ương ban hành chủ trương, chính sách", (Rule(RuleKind.EVENT),)),
])
def test_accepted_phrasings(phrase: str, expected: tuple[Rule, ...]) -> None:
    assert parse_schedule(phrase) == expected


def test_nfd_input_reads_like_nfc() -> None:
    import unicodedata

    assert parse_schedule(unicodedata.normalize("NFD", "Quý III năm 2025")) == (ONCE_Q3_2025,)


@pytest.mark.parametrize("phrase", ["trước tháng 10", "Khi nào có kinh phí", "Quý III năm 2025 hoặc tháng 10",
                                    "Quý V/2025", "", "Tuần sau"])
def test_unknown_phrases_are_reported_not_guessed(phrase: str) -> None:
    result = parse_schedule(phrase)
    assert isinstance(result, NotUnderstood)
    assert result.text == phrase


def test_deadlines_in_a_year() -> None:
    rules = (ONCE_Q3_2025, Rule(RuleKind.YEARLY, month=3, day=31), ANNUAL)
    assert [d.due for d in deadlines_in_year(rules, 2025)] == [date(2025, 3, 31), date(2025, 9, 30), date(2025, 11, 19)]
    assert [d.due for d in deadlines_in_year(rules, 2026)] == [date(2026, 3, 31), date(2026, 11, 19)]


def test_an_event_task_has_a_deadline_only_once_the_event_is_recorded() -> None:
    rules = (Rule(RuleKind.EVENT),)
    assert deadlines_in_year(rules, 2026) == []
    [deadline] = deadlines_in_year(rules, 2026, event=(date(2026, 3, 2), 30))
    assert deadline.due == date(2026, 4, 1) and deadline.kind is RuleKind.EVENT
