"""Reminders over a moved clock: the policy's stages, on Vietnamese working days only, once, and none after
the task is done."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from handlers.events import record_event
from handlers.notices import scan, simulate
from jobs.calendar import CALENDAR
from jobs.policy import DEFAULT_POLICY
from jobs.reminders import unit_deadlines
from jobs.schedule import RuleKind
from jobs.year import save_update
from models import Assignment, Outbox, ProgressUpdate, Task, Unit, make_engine, session_scope
from models.organisation import Role
from tests.conftest import Chat, add_member, invite
from tests.databases import Databases

NINE = DEFAULT_POLICY.scan_at


def run_days(engine: Engine, start: date, end: date, before_each_day=None) -> dict[str, date]:  # type: ignore[no-untyped-def]
    """Runs the daily scan from start to end; returns each outbox key with the day it was written."""
    written: dict[str, date] = {}
    day = start
    while day <= end:
        if before_each_day:
            before_each_day(day)
        with session_scope(engine) as session:
            scan(session, datetime.combine(day, NINE), DEFAULT_POLICY, CALENDAR)
            for key in session.exec(select(Outbox.key)).all():
                written.setdefault(key, day)
        day += timedelta(days=1)
    return written


def days_of(written: dict[str, date], member_id: int, deadline: str) -> list[date]:
    prefix = f"reminder:{member_id}:{deadline}:"
    return sorted(day for key, day in written.items() if key.startswith(prefix))


def unit_id(engine: Engine, code: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Unit.id).where(Unit.code == code)).one() or 0


def record(engine: Engine, code: str, occurred: date, days: int) -> None:
    with session_scope(engine) as session:
        task = session.exec(select(Task).where(Task.code == code)).one()
        record_event(session, task, occurred, days, None)


@pytest.fixture(scope="module")
def year_engine(databases: Databases) -> Iterator[Engine]:
    url = databases.copy()
    engine = make_engine(url)
    yield engine
    engine.dispose()
    databases.drop(url)


@pytest.fixture(scope="module")
def year_2026(year_engine: Engine) -> tuple[dict[str, date], dict[str, int]]:
    """A whole year of daily scans with officers of Sở KH&CN and UBND xã Bình Sơn, and three events whose
    deadlines fall on Tết 2026, on 1/5 and on 2/9."""
    engine = year_engine
    members = {"SKHCN": add_member(engine, "SKHCN", 100), "21040": add_member(engine, "21040", 200),
               "manager": add_member(engine, "SKHCN", 300, role=Role.MANAGER)}
    record(engine, "III.3", date(2026, 1, 17), 30)  # due 16/02/2026, Tết eve
    record(engine, "VI.1", date(2026, 4, 1), 30)  # due 01/05/2026
    record(engine, "II.2", date(2026, 8, 3), 30)  # due 02/09/2026

    def skhcn_reports_v1_done(day: date) -> None:
        if day == date(2026, 3, 25):
            with session_scope(engine) as session:
                assignment = session.exec(select(Assignment).join(Task, col(Task.id) == Assignment.task_id).where(
                    Task.code == "V.1", Assignment.unit_id == unit_id(engine, "SKHCN"))).one()
                save_update(session, ProgressUpdate(assignment_id=assignment.id, period="2026", status="done",
                                                    member_id=members["SKHCN"], channel="telegram"))

    return run_days(engine, date(2026, 1, 1), date(2026, 12, 31), skhcn_reports_v1_done), members


def test_no_reminder_on_a_weekend_or_a_vietnamese_holiday(year_2026) -> None:  # type: ignore[no-untyped-def]
    written, _ = year_2026
    days = set(written.values())
    assert days and all(day.weekday() < 5 for day in days)
    for holiday in (date(2026, 1, 1), *(date(2026, 2, d) for d in range(16, 21)), date(2026, 4, 27),
                    date(2026, 4, 30), date(2026, 5, 1), date(2026, 8, 31), date(2026, 9, 1), date(2026, 9, 2)):
        assert holiday not in days, holiday


def test_a_deadline_on_tet_is_reminded_before_the_holiday_and_after_it(year_2026, year_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    engine = year_engine
    written, members = year_2026
    due = f"due:{unit_id(engine, 'SKHCN')}:2026-02-16"
    assert days_of(written, members["SKHCN"], due)[:4] == [
        date(2026, 2, 2),  # 14 days before
        date(2026, 2, 9),  # 7 days before
        date(2026, 2, 13),  # 3 and 1 days before and the day itself all fall in Tết: the Friday before, once
        date(2026, 2, 25),  # overdue: the third working day after the deadline (23, 24, 25 February)
    ]


def test_deadlines_on_the_may_and_september_holidays(year_2026, year_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    engine = year_engine
    written, members = year_2026
    skhcn = unit_id(engine, "SKHCN")
    may = days_of(written, members["SKHCN"], f"due:{skhcn}:2026-05-01")
    assert may[:5] == [date(2026, 4, 17), date(2026, 4, 24), date(2026, 4, 28), date(2026, 4, 29), date(2026, 5, 6)]
    september = days_of(written, members["SKHCN"], f"due:{skhcn}:2026-09-02")
    assert september[:5] == [date(2026, 8, 19), date(2026, 8, 26), date(2026, 8, 28), date(2026, 9, 7),
                             date(2026, 9, 10)]


def test_every_stage_of_the_policy_and_none_after_done(year_2026, year_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    engine = year_engine
    written, members = year_2026
    v1 = days_of(written, members["SKHCN"], f"due:{unit_id(engine, 'SKHCN')}:2026-03-31")
    assert v1 == [date(2026, 3, 17), date(2026, 3, 24)]  # 14 and 7 days before; done on 25/03, then silence


def test_the_annual_report_is_a_deadline_for_every_unit(year_2026, year_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    engine = year_engine
    written, members = year_2026
    commune = days_of(written, members["21040"], f"annual:{unit_id(engine, '21040')}:2026-11-19")
    assert commune[:5] == [date(2026, 11, 5), date(2026, 11, 12), date(2026, 11, 16), date(2026, 11, 18),
                           date(2026, 11, 19)]
    assert commune[5] == date(2026, 11, 25)  # third working day after: 20/11, 23/11, (24/11 is a holiday) 25/11
    assert not days_of(written, members["manager"], f"annual:{unit_id(engine, 'SKHCN')}:2026-11-19")


def test_managers_get_a_weekly_digest_on_mondays(year_2026) -> None:  # type: ignore[no-untyped-def]
    written, members = year_2026
    digests = sorted(day for key, day in written.items() if key.startswith(f"digest:{members['manager']}:"))
    assert len(digests) >= 50
    for day in digests:  # the first working day of its week
        earlier = [day - timedelta(days=n) for n in range(1, day.weekday() + 1)]
        assert not any(CALENDAR.is_working_day(d) for d in earlier), day
    assert date(2026, 2, 23) in digests and date(2026, 4, 28) in digests  # 27/04 is a day off: the Tuesday
    assert date(2026, 9, 3) in digests  # 31/08 to 02/09 are days off: the Thursday


def test_scanning_again_the_same_day_writes_nothing_new(engine: Engine) -> None:
    add_member(engine, "21040", 200)
    moment = datetime(2025, 9, 16, 9, 0)
    with session_scope(engine) as session:
        first = scan(session, moment, DEFAULT_POLICY, CALENDAR)
    with session_scope(engine) as session:
        again = scan(session, moment + timedelta(hours=3), DEFAULT_POLICY, CALENDAR)
    assert first > 0 and again == 0


def test_outside_office_hours_nothing_is_written(engine: Engine) -> None:
    add_member(engine, "21040", 200)
    with session_scope(engine) as session:
        assert scan(session, datetime(2025, 9, 16, 7, 59), DEFAULT_POLICY, CALENDAR) == 0
        assert scan(session, datetime(2025, 9, 16, 17, 0), DEFAULT_POLICY, CALENDAR) == 0


def test_simulate_matches_what_the_scan_writes_from_september_to_december_2025(engine: Engine) -> None:
    for chat, code in enumerate(("SKHCN", "21040", "21211", "BAOQNG", "STC")):
        add_member(engine, code, 1000 + chat)
    add_member(engine, "SKHCN", 2000, role=Role.MANAGER)
    with Session(engine) as session:
        simulated = [(day, m.key, m.text) for day, m in
                     simulate(session, date(2025, 9, 1), date(2025, 12, 31), DEFAULT_POLICY, CALENDAR)]
    written = run_days(engine, date(2025, 9, 1), date(2025, 12, 31))
    with Session(engine) as session:
        texts = dict(session.exec(select(Outbox.key, Outbox.text)).all())
    assert len(simulated) > 100
    assert sorted(simulated) == sorted((day, key, texts[key]) for key, day in written.items())


def test_nhacnho_shows_the_next_reminders_and_sukien_is_for_managers(conversation, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    officer = Chat(conversation, user_id="801")
    officer.say(f"/start {invite(engine, '21040')}")
    upcoming = officer.say("/nhacnho")
    assert upcoming.startswith("Lịch nhắc việc sắp tới của UBND xã Bình Sơn:")
    assert upcoming.splitlines()[1] == "16/10/2025: hạn 30/09/2025, nhiệm vụ I.1"  # overdue since 30/09
    assert "Chỉ cán bộ quản lý" in officer.say("/sukien III.3 30")

    manager = Chat(conversation, user_id="802")
    manager.say(f"/start {invite(engine, 'SKHCN', Role.MANAGER)}")
    usage = manager.say("/sukien")
    assert "/sukien III.3 30" in usage and "• III.3: Sau khi Đề án của Trung ương ban hành" in usage
    assert "không phải là nhiệm vụ chờ sự kiện" in manager.say("/sukien I.1 30")
    assert "Số ngày phải từ 1 đến 366" in manager.say("/sukien III.3 999")
    assert "Ngày này không hợp lệ" in manager.say("/sukien III.3 30 31/02/2026")
    recorded = manager.say("/sukien iii.3 30 02/03/2026")
    assert "sự kiện của nhiệm vụ III.3 xảy ra ngày 02/03/2026; các đơn vị có 30 ngày, đến hạn 01/04/2026" in recorded
    with Session(engine) as session:
        deadlines = [d.due for d in unit_deadlines(session, 2026, date(2026, 3, 2), {unit_id(engine, "SKHCN")})
                     if d.key.startswith("due:")]
    assert date(2026, 4, 1) in deadlines


async def test_the_scheduler_runs_the_cycle_at_half_past_eight_vietnam_time_on_weekdays(engine: Engine) -> None:
    from bot.runtime.scheduler import ReminderCycle
    from bot.runtime.sender import Sender

    cycle = ReminderCycle(engine, Sender(engine, {}), clock=lambda: datetime(2025, 9, 16, 7, 0))
    scheduler = cycle.start("Asia/Ho_Chi_Minh")
    try:
        job = scheduler.get_job("reminders")
        fire = job.trigger.get_next_fire_time(None, datetime(2025, 9, 19, 12, 0).astimezone())
        assert (fire.weekday(), fire.hour, fire.minute, str(fire.tzinfo)) == (0, 8, 30, "Asia/Ho_Chi_Minh")
        assert scheduler.get_job("catch-up") is None  # started before today's run time: nothing to catch up
    finally:
        scheduler.shutdown(wait=False)


def test_a_submitted_annual_report_stops_its_reminders(engine: Engine) -> None:
    from jobs.reminders import due_on
    from models import AnnualReport

    member = add_member(engine, "21040", 200)
    before_14 = date(2025, 11, 5)  # 14 days before 19/11/2025
    with Session(engine) as session:
        keys = [d.deadline.key for d in due_on(session, before_14, DEFAULT_POLICY, CALENDAR)]
    assert keys == [f"annual:{unit_id(engine, '21040')}:2025-11-19"]
    with session_scope(engine) as session:
        session.add(AnnualReport(unit_id=unit_id(engine, "21040"), period="2025", member_id=member, channel="telegram"))
    with Session(engine) as session:
        assert due_on(session, before_14, DEFAULT_POLICY, CALENDAR) == []


def test_a_deadline_on_a_sunday_is_said_as_it_is_with_the_true_number_of_days() -> None:
    """14/12/2025 is a Sunday: the plan's date stands; the "14 days" stage comes on Friday 28/11 and says 16,
    the day itself on Friday 12/12 and says 2 (docs/skhcn.md: "Deadlines on a day off")."""
    from handlers.notices import reminder_text
    from jobs.reminders import NOBODY, DueReminder, UnitDeadline
    from jobs.schedule import RuleKind
    from locales import lang

    sunday = date(2025, 12, 14)
    stages = dict(DEFAULT_POLICY.stages(sunday, CALENDAR))
    assert stages[date(2025, 11, 28)] == "before-14" and stages[date(2025, 12, 12)] == "due"
    deadline = UnitDeadline(unit_id=1, key="test", due=sunday, kind=RuleKind.ONCE, task_codes=("II.3",), met=False)
    early = reminder_text(lang("vi"), DueReminder(deadline, "before-14", NOBODY, date(2025, 11, 28)), "UBND xã A")
    friday = reminder_text(lang("vi"), DueReminder(deadline, "due", NOBODY, date(2025, 12, 12)), "UBND xã A")
    assert early.startswith("Nhắc việc: còn 16 ngày đến hạn 14/12/2025.")
    assert friday.startswith("Nhắc việc: còn 2 ngày đến hạn 14/12/2025.")


def test_a_task_reported_done_is_not_chased_while_skhcn_reviews_it_though_an_accepted_60_percent_stays_in_force(
        engine: Engine) -> None:
    from jobs.year import accept_update
    from models.progress import ReviewState

    member = add_member(engine, "SKHCN", 100)
    skhcn = unit_id(engine, "SKHCN")
    day = date(2026, 12, 10)  # every dated deadline of 2026 has passed

    def open_tasks() -> set[str]:
        with Session(engine) as session:
            return {code for d in unit_deadlines(session, 2026, day, {skhcn}) if d.kind is not RuleKind.ANNUAL
                    for code in d.task_codes}

    with session_scope(engine) as session:
        assignment = session.exec(select(Assignment).join(Task, col(Task.id) == Assignment.task_id).where(
            Task.code == "V.1", Assignment.unit_id == skhcn)).one()
        sixty = save_update(session, ProgressUpdate(assignment_id=assignment.id, period="2026", status="in_progress",
                                                    percent=60, member_id=member, channel="telegram"))
        sixty.review_state = ReviewState.ACCEPTED
        accept_update(session, sixty)
    assert "V.1" in open_tasks()  # 60 %, accepted: still owed
    with session_scope(engine) as session:
        save_update(session, ProgressUpdate(assignment_id=assignment.id, period="2026", status="done",
                                            member_id=member, channel="telegram"))
    assert "V.1" not in open_tasks()  # answered: awaiting review, not chased
