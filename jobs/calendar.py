"""Vietnamese working days: Monday to Friday, less the public holidays (lunar Tết and substitute days off
included) that the `holidays` package knows for Vietnam."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")  # the plan's dates are dates in Vietnam
# The latest day any stored date is taken to mean: a date kept from before input was bounded (31/12/9999) reads
# as this, so arithmetic of a few days or years on it never overflows.
LAST_DAY = date(9000, 12, 31)


class WorkingCalendar:
    def __init__(self, country: str = "VN") -> None:
        self.country = country

    @lru_cache(maxsize=None)  # noqa: B019 (one calendar per process; years are few)
    def _holidays(self, year: int) -> holidays.HolidayBase:
        return holidays.country_holidays(self.country, years=year)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays(day.year)

    def holiday_name(self, day: date) -> str | None:
        return self._holidays(day.year).get(day)

    def on_or_before(self, day: date) -> date:
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def on_or_after(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (which itself need not be one)."""
        while count > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                count -= 1
        return day


CALENDAR = WorkingCalendar()
