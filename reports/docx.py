"""A Word draft (python-docx) of Sở KH&CN's consolidated report to the provincial People's Committee, in the
administrative format of Nghị định 30/2020/NĐ-CP: A4, margins 20/20/30/15 mm, Times New Roman 13-14; the
two-column header (issuing body | national motto), number and date line, title; I. results by section and
task with the units' figures and totals; II. the units' difficulties and proposals; III. Sở KH&CN's
proposals, left for the drafter; an appendix table unit × task, or, past a few hundred units, kind of unit ×
task counting the units by standing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from io import BytesIO

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Length, Mm, Pt
from docx.table import Table, _Cell, _Row

from locales import Lang
from jobs.year import NOT_REPORTED, STANDING_LABELS, AssignmentYear, Standing
from models.progress import ReviewState
from reports.summary import KIND_GROUPS, YearSummary

FONT = "Times New Roman"
BODY_PT = 14
HEADER_LEFT, HEADER_RIGHT = Mm(70), Mm(100)  # a little wider than the text block, as the usual templates are
SHORT = {Standing.DONE_ON_TIME: "✓", Standing.DONE_LATE: "✓*", Standing.PENDING: "…",
         Standing.OVERDUE: "!", Standing.NOT_ARISEN: "0", Standing.AWAITING_EVENT: "○"}
UNREPORTED_MARK = "°"  # beside the sign: nothing was reported on it
APPENDIX_UNITS = 300  # more than this, and the appendix counts units by kind instead of listing each
MAX_DIFFICULTIES = 300  # lines in section II; the rest are counted
QUOTED_RESULTS = 8  # units' results quoted under a task in section I; the rest are counted
LANDSCAPE_TEXT = Mm(297 - 30 - 15)  # the appendix's landscape page less its margins
TABLE_PT = 8
UNIT_COLUMN = Mm(52)  # the longest unit's name on two lines at 8 pt; 20 task columns share the rest
CELL_MARGIN_TWIPS = 40  # 0.7 mm each side


@dataclass(frozen=True)
class Signer:
    """Who signs the report (TDC_SIGNER_TITLE, TDC_SIGNER_NAME); left as placeholders for the drafter when
    unset. A title of several lines ("KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC") is written as given."""

    title: str = ""
    name: str = ""


def draft(summary: YearSummary, speak: Lang, signer: Signer = Signer(), previous: YearSummary | None = None) -> bytes:
    """`previous`, the year before, lets each figure say how it compares ("so với năm 2025: …")."""
    document = Document()
    page(document)
    _header(document, summary, speak)
    _results(document, summary, speak, previous)
    _difficulties(document, summary, speak)
    heading(document, speak._("III. PROPOSALS OF THE DEPARTMENT OF SCIENCE AND TECHNOLOGY"))
    text_paragraph(document, speak._("(For the drafter to complete.)"), italic=True)
    recipients_and_signature(document, speak, signer)
    _appendix(document, summary, speak)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def page(document: Document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    _page_numbers(section, first_page=False)
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(BODY_PT)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)


def _header(document: Document, summary: YearSummary, speak: Lang) -> None:
    letterhead(document, speak, speak._("No.:      /BC-SKHCN"),
               speak._("Quảng Ngãi, day ... month ... year {year}", year=summary.today.year))
    text_paragraph(document, speak._("REPORT"), bold=True, center=True)
    text_paragraph(document, speak._("Results of implementing the plan on standards, metrology and quality in {year}",
                                 year=summary.year), bold=True, center=True)
    text_paragraph(document, speak._("To: the People's Committee of Quảng Ngãi province"), center=True)


def letterhead(document: Document, speak: Lang, number: str, dated: str) -> None:
    """Nghị định 30/2020's header: the issuing body over its number, the motto over the place and date."""
    table = document.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # The motto needs the wider column to stay on one line; LibreOffice reads the grid, Word the cells.
    table.columns[0].width, table.columns[1].width = HEADER_LEFT, HEADER_RIGHT
    for row in table.rows:
        row.cells[0].width, row.cells[1].width = HEADER_LEFT, HEADER_RIGHT
    # Sizes per Nghị định 30/2020, Phụ lục I: bodies and the motto's first line 12-13, the second 13-14.
    _cell(table.cell(0, 0), [(speak._("PEOPLE'S COMMITTEE OF QUẢNG NGÃI PROVINCE"), False, 12),
                             (speak._("DEPARTMENT OF SCIENCE AND TECHNOLOGY"), True, 12)])
    _cell(table.cell(0, 1), [(speak._("SOCIALIST REPUBLIC OF VIET NAM"), True, 12),
                             (speak._("Independence - Freedom - Happiness"), True, 13)])
    # The short rules under the issuing body (a third of its line) and under the motto (as long as it).
    _rule(table.cell(0, 0), HEADER_LEFT, Mm(24))
    _rule(table.cell(0, 1), HEADER_RIGHT, Mm(60))
    _cell(table.cell(1, 0), [(number, False, 13)])
    _cell(table.cell(1, 1), [(dated, False, 14)], italic=True)
    document.add_paragraph()


def _cell(cell: _Cell, lines: list[tuple[str, bool, int]], italic: bool = False) -> None:
    cell.paragraphs[0].text = ""
    for index, (text, bold, size) in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.bold, run.italic, run.font.size, run.font.name = bold, italic, Pt(size), FONT


def _rule(cell: _Cell, column: Length, length: Length) -> None:
    """A centred horizontal line `length` long: the top border of an empty, tiny paragraph indented on both
    sides, which Word and LibreOffice both draw where the text is, unlike a drawing anchored to the page."""
    paragraph = cell.add_paragraph()
    margin = (column - length) // 2
    paragraph.paragraph_format.left_indent = paragraph.paragraph_format.right_indent = margin
    paragraph.paragraph_format.space_before = paragraph.paragraph_format.space_after = Pt(0)
    paragraph.paragraph_format.line_spacing = Pt(2)
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for name, value in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", "000000")):
        top.set(qn(f"w:{name}"), value)
    borders.append(top)
    paragraph._p.get_or_add_pPr().append(borders)


def _page_numbers(section: Section, first_page: bool) -> None:
    """Nghị định 30/2020: page numbers in Arabic figures, top centre, from the second page on."""
    section.different_first_page_header_footer = not first_page
    if not first_page:
        section.first_page_header.is_linked_to_previous = False  # an empty header of its own, not none
    section.header.is_linked_to_previous = False
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "2"), ("end", None)):
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText" if text == "PAGE" else "w:t")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    run.font.size, run.font.name = Pt(13), FONT


def text_paragraph(document: Document, text: str, bold: bool = False, italic: bool = False, center: bool = False) -> None:
    paragraph = document.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    else:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        paragraph.paragraph_format.first_line_indent = Mm(10)
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic


def heading(document: Document, text: str) -> None:
    text_paragraph(document, text, bold=True)


def _results(document: Document, summary: YearSummary, speak: Lang, previous: YearSummary | None) -> None:
    heading(document, speak._("I. RESULTS"))
    text_paragraph(document, speak._("{reported} of {expected} units have reported on the year {year}.",
                                 reported=len(summary.units_reported), expected=len(summary.units_expected),
                                 year=summary.year))
    review = Counter(row.update.review_state for row in summary.rows if row.update is not None)
    text_paragraph(document, speak._("Of the reports in force, Sở KH&CN has accepted {accepted}; {pending} await "
                                     "review; {returned} were returned to their units and are not counted as "
                                     "results.", accepted=review[ReviewState.ACCEPTED],
                                     pending=review[ReviewState.PENDING], returned=review[ReviewState.RETURNED]))
    results = results_by_task(summary)
    counts = summary.by_task()
    figures = summary.figures()
    before = {(f.task_code, f.key): f for f in previous.figures() if f.reports} if previous is not None else {}
    tasks = summary.tasks()
    numbered = [(s, [t for t in tasks if t.section == s["number"] and t.plan_id == plan.id])
                for plan, s in summary.sections]
    for index, (section, section_tasks) in enumerate([n for n in numbered if n[1]], start=1):
        # Arabic under the report's own Roman "I."; the tasks keep the plan's codes (I.2, III.1 …).
        text_paragraph(document, f"{index}. {section['title']}", bold=True)
        for task in section_tasks:
            tally = "; ".join(f"{speak._(STANDING_LABELS[s])}: {counts[task.code][s]}" for s in Standing
                              if counts[task.code][s])
            if counts[task.code].unreported:
                tally += f"; {speak._(NOT_REPORTED)}: {counts[task.code].unreported}"
            text_paragraph(document, f"{task.code}. {task.content} ({tally})")
            for figure in (f for f in figures if f.task_code == task.code and f.reports):
                target = "" if figure.target is None else speak._("; target {target}",
                                                                    target=speak.number(figure.target))
                earlier = before.get((figure.task_code, figure.key))
                compared = "" if earlier is None else speak._("; compared with {year}: {value} {unit}",
                                                               year=summary.year - 1, unit=figure.unit,
                                                               value=speak.number(round(earlier.value, 1))).rstrip()
                text_paragraph(document, speak._("- {label}: {value} {unit} ({reports} units reporting{target}).",
                                             label=figure.label, value=speak.number(round(figure.value, 1)),
                                             unit=figure.unit, reports=figure.reports,
                                             target=target + compared))
            _quoted(document, speak, results.get(task.id or 0, []))


def results_by_task(summary: YearSummary) -> dict[int, list[AssignmentYear]]:
    """What the units reported as done under each task, for the drafter to edit rather than retype: the
    updates in force with a result, accepted ones first; a returned one is no result."""
    found: dict[int, list[AssignmentYear]] = {}
    for row in summary.rows:
        if row.reported and row.update is not None and row.update.result.strip():
            found.setdefault(row.task.id or 0, []).append(row)
    for rows in found.values():
        rows.sort(key=lambda row: (row.update is None or row.update.review_state != ReviewState.ACCEPTED,
                                   row.unit.name))
    return found


def _quoted(document: Document, speak: Lang, rows: list[AssignmentYear]) -> None:
    for row in rows[:QUOTED_RESULTS]:
        assert row.update is not None
        accepted = row.update.review_state == ReviewState.ACCEPTED
        text_paragraph(document, speak._("+ {unit}: {result}", unit=row.unit.name, result=row.update.result.strip())
                       + ("" if accepted else " " + speak._("(awaiting review)")))
    if len(rows) > QUOTED_RESULTS:
        text_paragraph(document, speak._("+ … and {n} more units reported results (the workbook's \"Updates\" "
                                         "sheet lists them all).", n=len(rows) - QUOTED_RESULTS), italic=True)


def _difficulties(document: Document, summary: YearSummary, speak: Lang) -> None:
    """The annual reports' difficulties and proposals, then the tasks': at most MAX_DIFFICULTIES lines, the
    rest counted and left to the workbook, so that a national year's draft stays a report. As in section I, only
    what counts is quoted: nothing Sở KH&CN returned."""
    heading(document, speak._("II. DIFFICULTIES AND PROPOSALS OF THE UNITS"))
    lines: list[str] = []
    for report, unit in summary.annual_reports:
        if report.review_state == ReviewState.RETURNED:
            continue
        if report.difficulties.strip():
            lines.append(speak._("- {unit}, difficulties: {text}", unit=unit.name, text=report.difficulties))
        if report.proposals.strip():
            lines.append(speak._("- {unit}, proposals: {text}", unit=unit.name, text=report.proposals))
    lines += [f"- {row.unit.name} ({row.task.code}): {row.update.difficulties}" for row in summary.rows
              if row.reported and row.update is not None and row.update.difficulties.strip()]
    if not lines:
        text_paragraph(document, speak._("No unit reported a difficulty."))
    for line in lines[:MAX_DIFFICULTIES]:
        text_paragraph(document, line)
    if len(lines) > MAX_DIFFICULTIES:
        text_paragraph(document, speak._("… and {n} more: see the workbook (/baocao xlsx), sheet \"Updates\".",
                                     n=speak.number(len(lines) - MAX_DIFFICULTIES)), italic=True)


def recipients_and_signature(document: Document, speak: Lang, signer: Signer) -> None:
    """Nghị định 30/2020, Phụ lục I: "Nơi nhận:" on the left (12 pt bold italic, the list 11 pt), the signer's
    title on the right (13-14 pt bold), room for the signature and seal, then the name (bold)."""
    document.add_paragraph()
    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    _fix_widths(table, [Mm(80), Mm(85)])
    left, right = table.rows[0].cells
    recipients = [speak._("- As above;"), speak._("- Ministry of Science and Technology (to report);"),
                  speak._("- The Department's leaders;"), speak._("- Filed: Office, TĐC.")]
    _lines(left, [(speak._("Recipients:"), True, True, 12)] + [(line, False, False, 11) for line in recipients],
           center=False)
    title = signer.title or speak._("DIRECTOR")
    name = signer.name or speak._("(Full name)")
    _lines(right, [(line, True, False, 14) for line in title.splitlines()]
           + [("", False, False, 14)] * 4  # the signature and the seal
           + [(name, True, False, 14)], center=True)


def _lines(cell: _Cell, lines: list[tuple[str, bool, bool, int]], center: bool) -> None:
    for index, (text, bold, italic, size) in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.LEFT
        paragraph.paragraph_format.space_after = Pt(0)
        run = paragraph.add_run(text)
        run.bold, run.italic, run.font.size, run.font.name = bold, italic, Pt(size), FONT


def _appendix(document: Document, summary: YearSummary, speak: Lang) -> None:
    section = document.add_section()
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    _page_numbers(section, first_page=True)
    text_paragraph(document, speak._("APPENDIX: STANDING OF EACH UNIT ON EACH TASK, {year}", year=summary.year),
               bold=True, center=True)
    text_paragraph(document, "; ".join([f"{SHORT[s]} {speak._(STANDING_LABELS[s])}" for s in Standing]
                                   + [f"{UNREPORTED_MARK} {speak._(NOT_REPORTED)}"]), italic=True)
    document.styles["Table Grid"].font.size = Pt(TABLE_PT)  # one style, not a size on each of thousands of runs
    if len(summary.units_expected) <= APPENDIX_UNITS:
        _unit_by_task(document, summary, speak)
    else:
        _kind_by_task(document, summary, speak)


def _unit_by_task(document: Document, summary: YearSummary, speak: Lang) -> None:
    """One row per unit, one column per task, each cell the standing's sign. The unit's column is wide enough
    for a name on one or two lines, the tasks share the rest; set on the grid (LibreOffice reads it) and on each
    cell (Word does), the layout fixed so neither recomputes it from the text."""
    tasks = summary.tasks()
    standing = {(row.unit.id, row.task.id): SHORT[row.standing] + ("" if row.reported else UNREPORTED_MARK)
                for row in summary.rows}
    task_width = max(Mm(8), (LANDSCAPE_TEXT - UNIT_COLUMN) // max(len(tasks), 1))
    _table(document, [speak._("Unit"), *(task.code for task in tasks)],
           [[unit.name, *(standing.get((unit.id, task.id), "") for task in tasks)] for unit in summary.units_expected],
           widths=[UNIT_COLUMN, *([task_width] * len(tasks))])


def _kind_by_task(document: Document, summary: YearSummary, speak: Lang) -> None:
    """Too many units for a row each (a national year has ten thousand): for each kind of unit, one row per
    task counting its units by standing."""
    counts = summary.by_kind_and_task()
    units = Counter(KIND_GROUPS.get(u.kind, u.kind) for u in summary.units_expected)
    headers = [speak._("Task"), speak._("Units"), *(SHORT[s] for s in Standing), UNREPORTED_MARK]
    for kind in units:
        text_paragraph(document, speak._("{kind}: {n} units", kind=speak._(kind), n=speak.number(units[kind])),
                   bold=True)
        rows = [[task.code, speak.number(sum(tally.standings.values())),
                 *(speak.number(tally[s]) for s in Standing), speak.number(tally.unreported)]
                for task in summary.tasks() if (tally := counts.get((kind, task.id or 0))) is not None]
        _table(document, headers, rows)


def _table(document: Document, headers: list[str], rows: list[list[str]], widths: list[Length] | None = None) -> None:
    """A grid table whose header row repeats on every page and whose rows never split across pages."""
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers):
        _cell_text(cell, text, bold=True)
    _row_flag(table.rows[0], "w:tblHeader")
    for values in rows:
        row = table.add_row()
        _row_flag(row, "w:cantSplit")
        for cell, text in zip(row.cells, values):
            _cell_text(cell, text)
    if widths is not None:
        _fix_widths(table, widths)


def _cell_text(cell: _Cell, text: str, bold: bool = False) -> None:
    """The size on the run itself: LibreOffice does not apply a table style's font size (the appendix is at
    most APPENDIX_UNITS rows, so this is a few thousand runs at most)."""
    run = cell.paragraphs[0].add_run(text)
    run.bold, run.font.size = bold, Pt(TABLE_PT)


def _row_flag(row: _Row, flag: str) -> None:
    element = OxmlElement(flag)
    element.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(element)


def _fix_widths(table: Table, widths: list[Length]) -> None:
    table.autofit = False  # w:tblLayout fixed: the widths below are kept, not recomputed from the text
    margins = OxmlElement("w:tblCellMar")  # narrow cell margins: "III.1" on one line in a task's column
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(CELL_MARGIN_TWIPS))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    look = table._tbl.tblPr.find(qn("w:tblLook"))  # the schema's order: tblCellMar comes before tblLook
    if look is not None:
        look.addprevious(margins)
    else:
        table._tbl.tblPr.append(margins)
    for column, width in zip(table.columns, widths):
        column.width = width  # the grid: w:gridCol
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = width  # each cell: w:tcW
