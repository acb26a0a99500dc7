"""The period's workbook (sơ kết, tổng kết): the years side by side — each task's standings per year, each unit's
standing on each task per year, each figure per year against its target, who never reported a given year, the
extensions granted — written like the yearly workbook (reports/xlsx.py), rows streamed.

A task not active in a year, a unit not expected in it, a figure nobody gave: "—", never a zero; a unit merged
away or not yet formed says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jobs.year import NOT_REPORTED, STANDING_LABELS, Standing
from locales import N_, Lang
from reports.period import PeriodSummary, change_text, target_met, target_of
from reports.xlsx import Book, table

NONE = "—"


def period_workbook(period: PeriodSummary, speak: Lang) -> bytes:
    book = Book()
    _tasks(book, period, speak)
    _figures(book, period, speak)
    _units(book, period, speak)
    _missing(book, period, speak)
    _changes(book, period, speak)
    _extensions(book, period, speak)
    return book.close()


def _year_headers(period: PeriodSummary, speak: Lang, *parts: str) -> list[str]:
    return [f"{year.year}: {speak._(part)}" for year in period.years for part in parts]


def _tasks(book: Book, period: PeriodSummary, speak: Lang) -> None:
    """A row a task: each year, how many units it bound, how many reported, done, overdue."""
    rows = []
    for task in period.tasks():
        row: list[Any] = [task.code, task.content]
        for year in period.years:
            tally = year.tallies.get(task.code)
            if tally is None:  # not active that year
                row += [NONE] * 4
                continue
            done = tally[Standing.DONE_ON_TIME] + tally[Standing.DONE_LATE] + tally[Standing.NOT_ARISEN]
            row += [tally.total, tally.total - tally.unreported, done, tally[Standing.OVERDUE]]
        rows.append(row)
    table(book, speak._("Tasks by year"), [speak._("Code"), speak._("Task"),
                                             *_year_headers(period, speak, N_("units"), N_("reported"),
                                                            N_("done"), N_("overdue"))], rows)


def _figures(book: Book, period: PeriodSummary, speak: Lang) -> None:
    """A row a figure: its target (and the year set for it, if one), then its value each year."""
    rows = []
    for task in period.tasks():
        for figure in task.figures:
            target, target_by = target_of(task, figure["key"])
            row: list[Any] = [task.code, figure["label"], figure.get("unit", ""),
                              NONE if target is None else target, target_by or speak._("each year")]
            for year in period.years:
                total = year.figures.get((task.code, figure["key"]))
                if total is None or not total.reports:
                    row += [NONE, NONE]
                    continue
                met = target_met(total, target_by, year.year)
                row += [round(total.value, 1), "" if met is None else (speak._("met") if met else speak._("not met"))]
            rows.append(row)
    table(book, speak._("Figures by year"), [speak._("Task"), speak._("Figure"), speak._("Unit of measure"),
                                             speak._("Target"), speak._("Target for"),
                                             *_year_headers(period, speak, N_("value"), N_("target met"))], rows)


def _units(book: Book, period: PeriodSummary, speak: Lang) -> None:
    """A row a unit and task: its standing at the end of each year (flagged when nothing was reported)."""
    def rows() -> Iterator[list[Any]]:
        keys = {key for year in period.years for key in year.standings}
        units = {unit.id: unit for unit in period.units()}
        tasks = {task.id: task for task in period.tasks()}
        said = {(standing, reported): speak._(STANDING_LABELS[standing])
                + ("" if reported else f" ({speak._(NOT_REPORTED)})") for standing in Standing
                for reported in (True, False)}
        for unit_id, task_id in sorted(keys, key=lambda k: (units[k[0]].name, tasks[k[1]].position)):
            unit = units[unit_id]
            row: list[Any] = [unit.code, unit.name, tasks[task_id].code]
            for year in period.years:
                found = year.standings.get((unit_id, task_id))
                row.append(absent(period, unit.code, year.year, speak) if found is None else said[found])
            yield row
    table(book, speak._("Units by year"), [speak._("Code"), speak._("Unit"), speak._("Task"),
                                           *[str(year.year) for year in period.years]], rows())


def _missing(book: Book, period: PeriodSummary, speak: Lang) -> None:
    """The units that reported nothing in at least one year they were expected in, year by year."""
    missing = {year.year: year.missing for year in period.years}
    rows = [[unit.code, unit.name, *[absent(period, unit.code, year.year, speak) if unit.id not in year.units else
                                     (speak._("not reported") if unit.id in missing[year.year] else speak._("reported"))
                                     for year in period.years]]
            for unit in period.units() if any(unit.id in gone for gone in missing.values())]
    table(book, speak._("Not reported"), [speak._("Code"), speak._("Unit"), *map(str, missing)], rows)


def absent(period: PeriodSummary, code: str, year: int, speak: Lang) -> str:
    """What a unit's cell says in a year it has nothing in: merged away or not yet formed, else "—"."""
    change = period.kept_out(code, year)
    if change is None:
        return NONE
    return speak._("merged into {into}", into=change.into) if change.into else speak._("not yet formed")


def _changes(book: Book, period: PeriodSummary, speak: Lang) -> None:
    rows = [[change.on.strftime("%d/%m/%Y"), change.code, change.name, change_text(change, speak)]
            for change in period.changes]
    table(book, speak._("Units changed"), [speak._("From"), speak._("Code"), speak._("Unit"), speak._("Change")],
          rows)


def _extensions(book: Book, period: PeriodSummary, speak: Lang) -> None:
    rows = [[year.year, unit, code, request.until.strftime("%d/%m/%Y"), request.reason]
            for year in period.years for request, unit, code in year.extensions]
    table(book, speak._("Extensions granted"), [speak._("Year"), speak._("Unit"), speak._("Task"),
                                                speak._("New deadline"), speak._("Reason")], rows)
