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


ONCE, YEARLY = RuleKind.ONCE, RuleKind.YEARLY


@pytest.mark.parametrize("cell, deadlines", [
    ("2025", ["31/12/2025"]),
    ("Năm 2025", ["31/12/2025"]),
    ("6/2025", ["30/06/2025"]),
    ("06/2025", ["30/06/2025"]),
    ("12/2026", ["31/12/2026"]),
    ("Tháng 10/2025", ["31/10/2025"]),
    ("Tháng 6 năm 2026", ["30/06/2026"]),
    ("2025 - 2026", ["31/12/2025", "31/12/2026"]),
    ("Giai đoạn 2025–2027", ["31/12/2025", "31/12/2026", "31/12/2027"]),
    ("2025 và những năm tiếp theo", ["31/12/2025", "hằng năm 31/12"]),
    ("Trước ngày 30/6/2025", ["29/06/2025"]),
    ("30/6/2025", ["30/06/2025"]),
    ("Tháng 12 hằng năm", ["hằng năm 31/12"]),
    ("Hằng quý", ["hằng năm 31/03", "hằng năm 30/06", "hằng năm 30/09", "hằng năm 31/12"]),
])
def test_time_cells_as_officials_write_them(cell: str, deadlines: list[str]) -> None:
    """Issue 19's time cells, from two real plans' appendices: a year is its last day, a month its last day,
    "trước ngày D" the day before, a range each year's end, "hằng quý" each quarter's end."""
    rules = parse_schedule(cell)
    assert isinstance(rules, tuple), rules
    shown = sorted((r.due.strftime("%d/%m/%Y") if r.kind is ONCE else f"hằng năm {r.day:02d}/{r.month:02d}")
                   for r in rules)
    assert shown == sorted(deadlines)


@pytest.mark.parametrize("cell", ["31/2/2025", "Tháng 13 năm 2026", "2030 - 2025", "Quyết định 1322/QĐ-TTg"])
def test_impossible_dates_and_numbers_that_are_not_dates_are_not_guessed(cell: str) -> None:
    assert isinstance(parse_schedule(cell), NotUnderstood)
