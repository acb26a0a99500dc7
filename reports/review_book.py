"""The review workbook a desk worker fills in Excel: one row per submission awaiting review (its reference, unit,
task, status, result, figures by their labels, when it was sent, whether it is a revision), and two columns to
fill — "Quyết định" (Tiếp nhận / Trả lại, from a list) and "Ghi chú" (the note a return needs). A hidden sheet
marks it as this bot's, so that a workbook sent back is recognised before anything in it is believed
(handlers/review/workbook.py reads it back)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO

import xlsxwriter

from locales import Lang

MARK_SHEET = "tdc-bot"
MARK = "tdc-bot review workbook 1"  # in the hidden sheet's A1: what a file sent back must carry
ACCEPT, RETURN = "accept", "return"


@dataclass(frozen=True)
class ReviewRow:
    ref: str
    unit: str
    task: str
    status: str
    result: str
    figures: str
    sent: str
    revision: bool


def headers(speak: Lang) -> list[str]:
    return [speak._("Reference"), speak._("Unit"), speak._("Task"), speak._("Status"), speak._("Result"),
            speak._("Figures"), speak._("Sent"), speak._("Revision"), speak._("Decision"), speak._("Note")]


def decisions(speak: Lang) -> dict[str, str]:
    """The words of the "Decision" list, and what each means."""
    return {speak._("Accept"): ACCEPT, speak._("Return"): RETURN}


def review_workbook(rows: Sequence[ReviewRow], speak: Lang) -> bytes:
    out = BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(speak._("To review")[:31])
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    names = headers(speak)
    sheet.write_row(0, 0, names, bold)
    for number, row in enumerate(rows, start=1):
        values = [row.ref, row.unit, row.task, row.status, row.result, row.figures, row.sent,
                  speak._("yes") if row.revision else ""]
        for column, value in enumerate(values):
            sheet.write_string(number, column, value, wrap)
    last = max(len(rows), 1)
    sheet.data_validation(1, 8, last, 8, {"validate": "list", "source": list(decisions(speak))})
    for column, width in enumerate((8, 32, 8, 20, 50, 30, 16, 8, 14, 40)):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, last, len(names) - 1)
    mark = book.add_worksheet(MARK_SHEET)
    mark.write_string(0, 0, MARK)
    mark.hide()
    book.close()
    return out.getvalue()
