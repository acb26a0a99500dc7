"""Reading a plan's appendix out of a Word document or an Excel workbook: the table whose header says
STT | Nội dung nhiệm vụ | Cơ quan (Đơn vị) chủ trì | Cơ quan (Đơn vị) phối hợp | Thời gian thực hiện.

Tolerant of how such tables are typed: "Cơ quan" or "Đơn vị", with or without "thực hiện"; more columns
("Sản phẩm", "Kinh phí", "Ghi chú") are ignored; section rows ("I", "II" …) merged across the table give the
sections; cells keep their line breaks; a table split where a page broke (its continuation a table of its
own, with or without the header again) is joined, and a row with no number continues the task above it
(a cell cut by the page break).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from jobs.text import fold
from locales import Lang

COLUMNS = {  # column → words its header holds (folded); the first header cell that matches takes the column.
    # The content's words come last: "Cơ quan chủ trì thực hiện nhiệm vụ" is the lead's column, not the content's.
    "number": ("stt", "so tt", "so thu tu", "tt"),
    "lead": ("chu tri",),
    "cooperating": ("phoi hop",),
    "schedule": ("thoi gian", "thoi han", "tien do"),
    "content": ("noi dung", "ten nhiem vu", "nhiem vu", "giai phap"),
}
COLUMN_NAMES = {"number": "STT", "content": "Nội dung / Tên nhiệm vụ", "lead": "Chủ trì", "cooperating": "Phối hợp",
                "schedule": "Thời gian thực hiện"}
HEADER_ROWS = 15  # title lines above the header are normal in a workbook
REQUIRED = ("content", "lead", "schedule")
_ROMAN = re.compile(r"^(?=[ivxlc]+$)(c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")
_NUMBER = re.compile(r"^(\d{1,3})\.?$")
_COLUMN_NUMBER = re.compile(r"^\(?\d{1,2}\)?$")  # "(1)", "(2)" … under a header
_SECTION_IN_ONE = re.compile(r"^([IVXLC]+)[.\s]\s*(.+)$", re.DOTALL)  # "I. Tuyên truyền …" merged across the row


@dataclass
class Row:
    """One task of the appendix, as its cells are written, and where it was found (for messages)."""

    section: str
    number: int
    cells: dict[str, str]
    where: str


@dataclass
class Appendix:
    sections: list[dict[str, str]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what could not be read, by place
    closest: tuple[str, list[str]] = ("", [])  # with no appendix: the likeliest table, and the columns it lacks


def read(path: Path, speak: Lang) -> Appendix:
    """The appendix of a .docx or .xlsx file (empty when the file holds no such table)."""
    if path.suffix.lower() == ".docx":
        tables = _docx_tables(path, speak)
    else:
        tables = _xlsx_tables(path, speak)
    return _appendix(tables, speak)


def _docx_tables(path: Path, speak: Lang) -> list[tuple[str, list[list[str]]]]:
    from docx import Document

    document = Document(str(path))
    return [(speak._("table {n}", n=n), [[cell.text.strip() for cell in row.cells] for row in table.rows])
            for n, table in enumerate(document.tables, start=1)]


def _xlsx_tables(path: Path, speak: Lang) -> list[tuple[str, list[list[str]]]]:
    from openpyxl import load_workbook

    book = load_workbook(str(path), read_only=True, data_only=True)
    tables = []
    for sheet in book.worksheets:
        rows = [["" if value is None else str(value).strip() for value in row]
                for row in sheet.iter_rows(values_only=True)]
        tables.append((speak._("sheet {name}", name=sheet.title), [r for r in rows if any(r)]))
    return tables


def header_columns(cells: list[str]) -> dict[str, int] | None:
    """The columns of an appendix header row, or None when the row is not one."""
    found = _columns(cells)
    return found if all(c in found for c in REQUIRED) else None


def _columns(cells: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        words = fold(cell)
        for column, keys in COLUMNS.items():
            if column not in found and any(re.search(rf"\b{re.escape(k)}\b", words) for k in keys):
                found[column] = index
                break
    return found


def _header(rows: list[list[str]]) -> tuple[dict[str, int], int] | None:
    """The header among the first rows: one row, or two read together ("Cơ quan thực hiện" over "Chủ trì" |
    "Phối hợp"); returns the columns and the first row after it, past a "(1) (2) (3)" row of column numbers."""
    for index, cells in enumerate(rows[:HEADER_ROWS]):
        found, after = header_columns(cells), index + 1
        if found is None and index + 1 < len(rows):
            below = rows[index + 1]
            found, after = header_columns([f"{a} {b}" for a, b in zip(cells, below)]), index + 2
        if found is not None:
            if after < len(rows) and all(_COLUMN_NUMBER.match(c) for c in rows[after] if c):
                after += 1
            return found, after
    return None


def _appendix(tables: list[tuple[str, list[list[str]]]], speak: Lang) -> Appendix:
    appendix = Appendix()
    columns: dict[str, int] | None = None
    width = 0
    section = ""
    for name, rows in tables:
        start = 0
        header = _header(rows)
        if header is not None:
            columns, start = header
            width = len(rows[0])
        else:
            _note_closest(appendix, name, rows)
            if columns is None or not rows or len(rows[0]) != width:
                continue  # not the appendix, nor its continuation after a page break
        for offset, cells in enumerate(rows[start:], start=start + 1):
            section = _row(appendix, columns, cells, section, speak._("{table}, row {n}", table=name, n=offset), speak)
    return appendix


def _note_closest(appendix: Appendix, name: str, rows: list[list[str]]) -> None:
    """Remembers the table whose header came nearest, to say which columns it lacked."""
    best = max((_columns(cells) for cells in rows[:HEADER_ROWS]), key=len, default={})
    missing = [COLUMN_NAMES[column] for column in COLUMNS if column not in best]
    if best and (not appendix.closest[0] or len(missing) < len(appendix.closest[1])):
        appendix.closest = (name, missing)


def _row(appendix: Appendix, columns: dict[str, int], cells: list[str], section: str, where: str,
         speak: Lang) -> str:
    def cell(column: str) -> str:
        index = columns.get(column)
        return cells[index] if index is not None and index < len(cells) else ""

    first = fold(cell("number") or cells[0]).strip(" .")
    merged = _SECTION_IN_ONE.match(cells[0]) if len({c for c in cells if c}) == 1 else None
    if (first and _ROMAN.match(first)) or merged:
        number = merged.group(1).upper() if merged else first.upper()
        title = merged.group(2) if merged else next((c for c in cells if c and fold(c).strip(" .") != first), "")
        appendix.sections.append({"number": number, "title": title.strip()})
        return number
    number = _NUMBER.match(first)
    values = {column: cell(column) for column in COLUMNS if column != "number"}
    if number:
        if not section:
            appendix.problems.append(speak._("{where}: task {n} comes before any section (I, II …)", where=where,
                                             n=number.group(1)))
        appendix.rows.append(Row(section, int(number.group(1)), values, where))
    elif any(values.values()) and appendix.rows:
        previous = appendix.rows[-1].cells  # the rest of a row cut by a page break
        for column, text in values.items():
            if text:
                previous[column] = f"{previous[column]} {text}".strip()
    elif any(values.values()):
        appendix.problems.append(speak._("{where}: a row without a number that continues no task", where=where))
    return section
