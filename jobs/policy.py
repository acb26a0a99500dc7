"""The reminder policy: one configuration for every stage, office hours and the digest day.

Changing how the province is reminded is a change here, not in the code that sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from jobs.calendar import WorkingCalendar


@dataclass(frozen=True)
class ReminderPolicy:
    before_days: tuple[int, ...] = (14, 7, 3, 1, 0)  # 0 is the day itself
    overdue_every_working_days: int = 3
    overdue_for_days: int = 60  # stop reminding this many calendar days after the deadline
    office_opens: time = time(8, 0)
    office_closes: time = time(17, 0)
    scan_at: time = time(8, 30)  # when the day's reminders go out
    digest_weekday: int = 0  # Monday; on a day off, the next working day
    return_working_days: int = 5  # a returned submission is due again this many working days after the return

    def stages(self, due: date, calendar: WorkingCalendar) -> list[tuple[date, str]]:
        """(day to send, stage) for a deadline, at most one stage a day: the most pressing one.

        A stage that falls on a day off moves to the working day before it if it comes before the deadline,
        after it if it comes after.
        """
        by_day: dict[date, str] = {}
        for days in sorted(self.before_days, reverse=True):
            by_day[calendar.on_or_before(due - timedelta(days=days))] = "due" if days == 0 else f"before-{days}"
        number, day = 1, calendar.add_working_days(due, self.overdue_every_working_days)
        while day <= due + timedelta(days=self.overdue_for_days):
            by_day.setdefault(day, f"overdue-{number}")
            number += 1
            day = calendar.add_working_days(day, self.overdue_every_working_days)
        return sorted(by_day.items())

    def resubmit_by(self, returned_on: date, calendar: WorkingCalendar) -> date:
        """The day a returned submission is due again: the one rule the notice, the views and the reminders read."""
        return calendar.add_working_days(returned_on, self.return_working_days)

    def in_office_hours(self, moment_time: time) -> bool:
        return self.office_opens <= moment_time < self.office_closes

    def is_digest_day(self, day: date, calendar: WorkingCalendar) -> bool:
        monday = day - timedelta(days=day.weekday())
        return day == calendar.on_or_after(monday + timedelta(days=self.digest_weekday))


DEFAULT_POLICY = ReminderPolicy()
