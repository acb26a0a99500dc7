"""The Word draft of a sơ kết or tổng kết (the plan, section III.1: Sở KH&CN advises the People's Committee on
reviewing the plan mid-way and at its end), in the yearly draft's administrative format (reports/docx.py,
Nghị định 30/2020): for each task its standing at the end of each year, what the units reported doing (accepted
results first, returned ones never), its figures year by year against their targets; then the units that did
not report a given year, the extensions granted, Sở KH&CN's proposals for the drafter, "Nơi nhận" and the
signing block.
"""

from __future__ import annotations

from io import BytesIO

from docx import Document

from jobs.year import NOT_REPORTED, STANDING_LABELS, Standing
from locales import Lang
from reports.docx import Signer, heading, letterhead, page, recipients_and_signature, text_paragraph
from reports.period import PeriodSummary, change_text, target_met, target_of

LISTED_MISSING = 40  # units named as not having reported a year; the rest counted


def period_draft(period: PeriodSummary, speak: Lang, signer: Signer = Signer()) -> bytes:
    document = Document()
    page(document)
    letterhead(document, speak, speak._("No.:      /BC-SKHCN"),
               speak._("Quảng Ngãi, day ... month ... year {year}", year=period.today.year))
    text_paragraph(document, speak._("REPORT"), bold=True, center=True)
    text_paragraph(document, speak._("Review of the implementation of the plan on standards, metrology and quality, "
                                     "period {span}", span=period.span), bold=True, center=True)
    text_paragraph(document, speak._("To: the People's Committee of Quảng Ngãi province"), center=True)
    _results(document, period, speak)
    _missing(document, period, speak)
    _changes(document, period, speak)
    _extensions(document, period, speak)
    heading(document, speak._("V. PROPOSALS OF THE DEPARTMENT OF SCIENCE AND TECHNOLOGY"))
    text_paragraph(document, speak._("(For the drafter to complete.)"), italic=True)
    recipients_and_signature(document, speak, signer)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _results(document: Document, period: PeriodSummary, speak: Lang) -> None:
    heading(document, speak._("I. RESULTS, YEAR BY YEAR"))
    for year in period.years:
        text_paragraph(document, speak._("{year}: {reported} of {expected} units reported.", year=year.year,
                                         reported=len(year.reported), expected=len(year.units))
                       if year.units else speak._("{year}: no task of the plan that year.", year=year.year))
    for task in period.tasks():
        text_paragraph(document, f"{task.code}. {task.content}", bold=True)
        for year in period.years:
            tally = year.tallies.get(task.code)
            if tally is None:
                text_paragraph(document, speak._("- {year}: not among the year's tasks.", year=year.year))
                continue
            counts = "; ".join(f"{speak._(STANDING_LABELS[s])}: {tally[s]}" for s in Standing if tally[s])
            if tally.unreported:
                counts += f"; {speak._(NOT_REPORTED)}: {tally.unreported}"
            text_paragraph(document, f"- {year.year}: {counts}.")
            for unit, result in year.quoted.get(task.id or 0, []):
                text_paragraph(document, speak._("+ {unit}: {result}", unit=unit, result=result))
        for figure in task.figures:
            target, target_by = target_of(task, figure["key"])
            path = []
            for year in period.years:
                total = year.figures.get((task.code, figure["key"]))
                if total is None or not total.reports:
                    path.append(speak._("{year}: no data", year=year.year))
                    continue
                met = target_met(total, target_by, year.year)
                said = f"{year.year}: {speak.number(round(total.value, 1))} {figure.get('unit', '')}".rstrip()
                path.append(said + ("" if met is None else " (" + (speak._("met") if met else speak._("not met")) + ")"))
            aim = "" if target is None else (
                speak._("; target {target} by {year}", target=speak.number(target), year=target_by) if target_by
                else speak._("; target {target} each year", target=speak.number(target)))
            text_paragraph(document, f"- {figure['label']}: " + "; ".join(path) + aim + ".")


def _missing(document: Document, period: PeriodSummary, speak: Lang) -> None:
    heading(document, speak._("II. UNITS THAT DID NOT REPORT"))
    for year in (year for year in period.years if year.units):  # a year without tasks expects nobody
        names = sorted(year.units[unit_id].name for unit_id in year.missing)  # as the year named them
        if not names:
            text_paragraph(document, speak._("{year}: every unit reported.", year=year.year))
            continue
        listed = ", ".join(names[:LISTED_MISSING])
        more = speak._(" and {n} more", n=len(names) - LISTED_MISSING) if len(names) > LISTED_MISSING else ""
        text_paragraph(document, speak._("{year}: {n} units did not report: {names}{more}.", year=year.year,
                                         n=len(names), names=listed, more=more))


def _changes(document: Document, period: PeriodSummary, speak: Lang) -> None:
    heading(document, speak._("III. UNITS RENAMED, MERGED OR FORMED"))
    if not period.changes:
        text_paragraph(document, speak._("No unit was renamed, merged or formed in the period."))
        return
    for change in period.changes:
        text_paragraph(document, "- " + change_text(change, speak) + ".")
    text_paragraph(document, speak._("Each year above names the units as they were in that year; a unit merged "
                                     "away is reported by its successor from the year of the merger."), italic=True)


def _extensions(document: Document, period: PeriodSummary, speak: Lang) -> None:
    heading(document, speak._("IV. EXTENSIONS GRANTED"))
    granted = [(year.year, request, unit, code) for year in period.years for request, unit, code in year.extensions]
    if not granted:
        text_paragraph(document, speak._("No extension was granted in the period."))
    for year, request, unit, code in granted:
        text_paragraph(document, speak._("- {year}: {unit}, task {code}, until {date}.", year=year, unit=unit,
                                         code=code, date=speak.date(request.until)))
