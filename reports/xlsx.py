"""The year's consolidation as an Excel workbook: summary, by task, by unit, each assignment's standing, every
update, and the units that have not reported. Vietnamese headers, frozen header rows, filters, sensible widths,
numbers as numbers.

Written by rustpy-xlsxwriter, Python bindings to the Rust crate rust_xlsxwriter (the Rust port by XlsxWriter's
own author): the rows are handed over as a stream, and the cells are written in Rust. On a national year's 8.4
million cells XlsxWriter spent about 4.6 µs a cell in Python (bench/report.py measures both, side by side).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from io import BytesIO
from itertools import chain, islice
from typing import Any

import rustpy_xlsxwriter

from jobs.figures import Labels, figure_labels, figure_lines
from jobs.refs import Ref
from jobs.year import NOT_REPORTED, STANDING_LABELS, Standing, decoded
from locales import Lang
from models.progress import REVIEW_LABELS, STATUS_LABELS
from reports.summary import Tally, YearSummary

MAX_WIDTH = 60
WIDTH_SAMPLE = 500
SHEET_NAME = 31  # Excel's limit


class Book:
    """The sheets, each a stream of rows, written in one pass when the book is closed: each row is read once,
    in order, and leaves memory."""

    def __init__(self) -> None:
        self.sheets: list[tuple[str, Iterable[dict[str, Any]]]] = []
        self.widths: dict[str, list[float]] = {}

    def close(self) -> bytes:
        out = BytesIO()
        rustpy_xlsxwriter.write_worksheets(
            self.sheets, out, freeze_panes={"general": {"row": 1, "col": 0}}, autofilter={"general": True},
            column_widths=self.widths,  # type: ignore[arg-type]
            header_format={"general": rustpy_xlsxwriter.Format().set_bold().set_text_wrap().set_align("top")})
        return out.getvalue()


def workbook(summary: YearSummary, speak: Lang) -> bytes:
    book = Book()  # streamed: a national year is hundreds of thousands of rows
    _summary_sheet(book, summary, speak)
    _by_task(book, summary, speak)
    _by_unit(book, summary, speak)
    _assignments(book, summary, speak)
    _updates(book, summary, speak)
    _annual_reports(book, summary, speak)
    _extensions(book, summary, speak)
    _missing(book, summary, speak)
    return book.close()


def table(book: Book, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Widths are judged on the first rows; the rest stream past. A sheet with no row keeps its header over one
    empty row. Text is written as text, never turned into a link or a formula."""
    name = title[:SHEET_NAME]
    rows = iter(rows)
    first = list(islice(rows, WIDTH_SAMPLE))
    book.widths[name] = [min(MAX_WIDTH, max([len(str(header))] + [len(str(r[index])) for r in first
                                                                  if r[index] is not None]) + 2)
                         for index, header in enumerate(headers)]
    book.sheets.append((name, _records(headers, chain(first, rows) if first else iter([[None] * len(headers)]))))


def _records(headers: Sequence[str], rows: Iterator[Sequence[Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        yield {header: (None if value == "" else value) for header, value in zip(headers, row)}


def _standing_headers(speak: Lang) -> list[str]:
    return [speak._(STANDING_LABELS[s]) for s in Standing] + [speak._("Of which not reported")]


def _summary_sheet(book: Book, summary: YearSummary, speak: Lang) -> None:
    rows: list[list[Any]] = [
        [speak._("Units reported / expected"), f"{len(summary.units_reported)}/{len(summary.units_expected)}", "", ""],
    ]
    for figure in summary.figures():
        rows.append([f"{figure.task_code} — {figure.label}", figure.value, figure.unit,
                     figure.target if figure.target is not None else ""])
    by_section = summary.by_section()
    for plan, section in summary.sections:
        counts = by_section.get((plan.id or 0, section["number"]), Tally())
        shown = [f"{speak._(STANDING_LABELS[s])}: {counts[s]}" for s in Standing if counts[s]]
        shown += [f"{speak._(NOT_REPORTED)}: {counts.unreported}"] if counts.unreported else []
        name = summary.section_name(plan, section)
        rows.append([speak._("Section {number}", number=name), ", ".join(shown), "", ""])
    table(book, speak._("Summary {year}", year=summary.year),
           [speak._("Item"), speak._("Value"), speak._("Unit of measure"), speak._("Target")], rows)


def _by_task(book: Book, summary: YearSummary, speak: Lang) -> None:
    counts = summary.by_task()
    rows = [[task.code, task.content, *(counts[task.code][s] for s in Standing), counts[task.code].unreported]
            for task in summary.tasks()]
    table(book, speak._("By task"), [speak._("Task"), speak._("Content"), *_standing_headers(speak)], rows)


def _by_unit(book: Book, summary: YearSummary, speak: Lang) -> None:
    per_unit = summary.by_unit()
    rows = [[unit.code, unit.name, *(per_unit[unit.id or 0][s] for s in Standing), per_unit[unit.id or 0].unreported]
            for unit in summary.units_expected]
    table(book, speak._("By unit"), [speak._("Code"), speak._("Unit"), *_standing_headers(speak)], rows)


def _assignments(book: Book, summary: YearSummary, speak: Lang) -> None:
    """One row per unit and task: the standing every other view shows, and the update in force."""
    rows = [[row.unit.code, row.unit.name, row.task.code, speak._("lead") if row.is_lead else speak._("cooperating"),
             ", ".join(d.due.strftime("%d/%m/%Y") for d in row.deadlines), speak._(STANDING_LABELS[row.standing]),
             "" if row.reported else speak._(NOT_REPORTED),
             speak._(STATUS_LABELS.get(row.update.status, row.update.status)) if row.update else "",
             row.update.percent if row.update else None, row.update.id if row.update else None,
             speak._(REVIEW_LABELS[row.update.review_state]) if row.update else ""]
            for row in summary.rows]
    table(book, speak._("Assignments"),
           [speak._("Code"), speak._("Unit"), speak._("Task"), speak._("Role"), speak._("Deadlines"),
            speak._("Standing"), speak._("Reported?"), speak._("Status reported"), speak._("Percent"),
            speak._("Update in force (no.)"), speak._("Review")], rows)


def _updates(book: Book, summary: YearSummary, speak: Lang) -> None:
    statuses = {status: speak._(label) for status, label in STATUS_LABELS.items()}
    reviews = {state: speak._(label) for state, label in REVIEW_LABELS.items()}
    rows = ([update.id, update.created_at.strftime("%d/%m/%Y %H:%M"), unit.name, task.code,
             statuses.get(update.status, update.status), update.percent, update.result,
             _figures(update.figures_json, task.id or 0, figure_labels(task)), update.difficulties, who, update.channel,
             reviews.get(update.review_state, update.review_state), update.reviewer,
             update.review_note, "; ".join(summary.files.get(update.id, ()))]
            for update, unit, task, who in summary.updates)
    table(book, speak._("Updates"),
           [speak._("No."), speak._("Time (UTC)"), speak._("Unit"), speak._("Task"), speak._("Status"),
            speak._("Percent"), speak._("Result"), speak._("Figures"), speak._("Difficulties, proposals"),
            speak._("Reported by"), speak._("Channel"), speak._("Review"), speak._("Reviewed by"),
            speak._("Reviewer's note"), speak._("Documents attached")], rows)


@lru_cache(maxsize=4096)
def _figures(stored: str, task_id: int, labels: Labels) -> str:
    """"Tỷ lệ … : 40 %; …": an update's figures by the labels the plan gives them; the same answers recur across
    units, so each is worded once per task."""
    return "; ".join(figure_lines(decoded(stored), labels))


def _extensions(book: Book, summary: YearSummary, speak: Lang) -> None:
    """Every extension request of the year: asked by whom and when, until when, why, and Sở KH&CN's answer."""
    states = {"asked": speak._("Waiting"), "approved": speak._("Approved"), "refused": speak._("Refused")}
    rows = [[f"#{e.id}", unit, task, asked_by, e.asked_at.strftime("%d/%m/%Y %H:%M"), e.until.strftime("%d/%m/%Y"),
             e.reason, states.get(e.state, e.state), decided_by or "",
             e.decided_at.strftime("%d/%m/%Y %H:%M") if e.decided_at else "", e.note]
            for e, unit, task, asked_by, decided_by in summary.extensions]
    table(book, speak._("Extensions"),
           [speak._("No."), speak._("Unit"), speak._("Task"), speak._("Asked by"), speak._("Asked (UTC)"),
            speak._("New deadline"), speak._("Reason"), speak._("Answer"), speak._("Decided by"),
            speak._("Decided (UTC)"), speak._("Note")], rows)


def _annual_reports(book: Book, summary: YearSummary, speak: Lang) -> None:
    """The newest annual report of each unit that sent one: when, its receipt, what it says beside the tasks."""
    reviews = {state: speak._(label) for state, label in REVIEW_LABELS.items()}
    rows = [[unit.code, unit.name, report.created_at.strftime("%d/%m/%Y %H:%M"), str(Ref.of(report)),
             reviews.get(report.review_state, report.review_state), report.tasks_updated, report.tasks_kept,
             report.difficulties, report.proposals]
            for report, unit in sorted(summary.annual_reports, key=lambda pair: pair[0].created_at)]
    table(book, speak._("Annual reports"),
           [speak._("Code"), speak._("Unit"), speak._("Received (UTC)"), speak._("Receipt"), speak._("Review"),
            speak._("Tasks updated"), speak._("Tasks kept"), speak._("Difficulties"), speak._("Proposals")], rows)


def _missing(book: Book, summary: YearSummary, speak: Lang) -> None:
    rows = [[unit.code, unit.name, unit.kind] for unit in summary.units_missing]
    table(book, speak._("Not reported"), [speak._("Code"), speak._("Unit"), speak._("Kind")], rows)
