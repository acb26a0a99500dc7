"""The review workbook's round trip: `/duyet xlsx` sends the queue as a workbook (reports/review_book.py) with a
"Quyết định" and a "Ghi chú" column to fill in Excel; `/duyet nhapfile` opens a small form that takes the filled
workbook back, says what it will do — how many to accept, how many to return, and each row it cannot use and
why (a reference that is not waiting, a return without a note, an item already decided, an item revised since
the file was made) — and applies it only on "Áp dụng", each decision by the rule for one (decided once),
audited with `via=xlsx`. `python -m bot review import FILE` does the same from the command line.

The file is read by openpyxl, never parsed by hand; what is not a review workbook of this bot (another
workbook, an .xls, a damaged or huge file) is refused in words and nothing is applied from it.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openpyxl import load_workbook
from sqlmodel import Session, col, select

from handlers.machinery.access import Permission, can, refusal
from handlers.machinery.context import Context
from handlers.machinery.evidence import XLSX, discard
from handlers.machinery.forms import Files, Form, FormEngine
from handlers.machinery.forms.steps import Answers, Confirm, Invalid, named_save
from handlers.machinery.messages import Attachment, Reply
from handlers.review.decisions import Refused, Told, accept, give_back, load, parse_ref, queue, reviewable
from jobs.review import newer_than
from jobs.figures import figure_labels, figure_lines
from jobs.refs import Ref, in_lock_order
from jobs.text import fold
from jobs.year import local_day, status_text
from locales import N_, Lang
from models import AnnualReport, Assignment, EvidenceFile, ProgressUpdate, Task
from reports.review_book import ACCEPT, MARK, MARK_SHEET, RETURN, ReviewRow, decisions, review_workbook

MOST_BYTES = 5 * 1024 * 1024  # a review workbook of a national queue is far smaller
MOST_UNPACKED = 60 * 1024 * 1024  # what its parts may unpack to: a zip bomb is refused before it is opened
MOST_ROWS = 20_000


# -- the workbook out ----------------------------------------------------------------------------------------

def rows_for(session: Session, speak: Lang, zone: Any) -> list[ReviewRow]:
    """Every submission awaiting review, as the workbook lists it (figures by their labels): the queue, then its
    updates with their tasks and its annual reports, each read in one go, never a query per row."""
    waiting = queue(session)
    refs = [ref for ref in map(Ref.from_key, (item.ref for item in waiting)) if ref]
    update_ids = [ref.number for ref in refs if ref.is_update]
    report_ids = [ref.number for ref in refs if ref.is_annual]
    updates = {str(Ref.of(row)): (row, task) for row, task in session.exec(
        select(ProgressUpdate, Task).join(Assignment, col(Assignment.id) == ProgressUpdate.assignment_id)
        .join(Task, col(Task.id) == Assignment.task_id).where(col(ProgressUpdate.id).in_(update_ids)))}
    reports = {str(Ref.of(row)): row for row in session.exec(
        select(AnnualReport).where(col(AnnualReport.id).in_(report_ids)))}
    found = []
    for item in waiting:
        sent = local_day(item.sent_at, zone).strftime("%d/%m/%Y")
        if item.ref in updates:
            update, task = updates[item.ref]
            found.append(ReviewRow(item.ref, item.unit.name, task.code, _status(speak, update), update.result,
                                   _figures(speak, task, update), sent, item.resubmission))
        elif item.ref in reports:
            report = reports[item.ref]
            said = speak._("{updated} tasks updated, {kept} kept", updated=report.tasks_updated,
                           kept=report.tasks_kept)
            found.append(ReviewRow(item.ref, item.unit.name, speak._("annual report"), said,
                                   "; ".join(t for t in (report.difficulties, report.proposals) if t), "", sent,
                                   item.resubmission))
    return found


def _status(speak: Lang, update: ProgressUpdate) -> str:
    return status_text(speak, update.status, update.percent)


def _figures(speak: Lang, task: Task, update: ProgressUpdate) -> str:
    return "; ".join(figure_lines(update.figures, figure_labels(task), speak.number))


def export(ctx: Context) -> list[Reply]:
    rows = rows_for(ctx.session, ctx.lang, ctx.zone)
    if not rows:
        return [Reply(ctx.lang._("Nothing awaits review."))]
    name = f"duyet-bao-cao-{ctx.today:%Y%m%d}.xlsx"
    return [Reply(ctx.lang._("{n} submissions await review. Fill the \"Quyết định\" column (Tiếp nhận or Trả lại; a "
                             "return needs its \"Ghi chú\"), then send the file back after /duyet nhapfile.",
                             n=len(rows)),
                  attachment=Attachment(name, review_workbook(rows, ctx.lang), XLSX))]


# -- the workbook back ---------------------------------------------------------------------------------------

@dataclass
class Plan:
    """What a filled workbook asks for, before anything is done."""

    accept: list[str] = field(default_factory=list)
    give_back: list[tuple[str, str]] = field(default_factory=list)
    unusable: list[str] = field(default_factory=list)  # "row 7 (u12): why", in the reader's language
    undecided: int = 0

    def text(self, speak: Lang) -> str:
        lines = [speak._("From the workbook: {accept} to accept, {give_back} to return; {undecided} rows without a "
                         "decision are left as they are.", accept=len(self.accept), give_back=len(self.give_back),
                         undecided=self.undecided)]
        if self.unusable:
            lines.append(speak._("Rows that cannot be used ({n}):", n=len(self.unusable)))
            lines += [f"• {why}" for why in self.unusable[:30]]
            if len(self.unusable) > 30:
                lines.append(speak._("… and {n} more.", n=len(self.unusable) - 30))
        return "\n".join(lines)


def read(session: Session, content: bytes, speak: Lang) -> Plan:
    """The plan a filled review workbook asks for; Invalid when it is not one of this bot's."""
    if len(content) > MOST_BYTES:
        raise Invalid(N_("That file is too large for a review workbook; nothing was applied."))
    try:
        parts = zipfile.ZipFile(io.BytesIO(content)).infolist()
        if sum(part.file_size for part in parts) > MOST_UNPACKED:
            raise Invalid(N_("That file is too large for a review workbook; nothing was applied."))
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise Invalid(N_("That file is not a review workbook of this bot (an .xlsx made by /duyet xlsx); nothing "
                         "was applied.")) from None
    try:
        if MARK_SHEET not in book.sheetnames or book[MARK_SHEET]["A1"].value != MARK:
            raise Invalid(N_("That file is not a review workbook of this bot (an .xlsx made by /duyet xlsx); "
                             "nothing was applied."))
        sheet = book[next(name for name in book.sheetnames if name != MARK_SHEET)]
        rows = list(sheet.iter_rows(min_row=2, max_row=MOST_ROWS + 1, max_col=10, values_only=True))
    finally:
        book.close()
    return _plan(session, rows, speak)


def _plan(session: Session, rows: list[tuple[Any, ...]], speak: Lang) -> Plan:
    words = {fold(word): meaning for word, meaning in decisions(speak).items()}
    words.update({"tiep nhan": ACCEPT, "accept": ACCEPT, "tra lai": RETURN, "return": RETURN})
    plan, seen = Plan(), set()
    for number, row in enumerate(rows, start=2):
        cells = [("" if value is None else str(value)).strip() for value in (*row, *[None] * 10)[:10]]
        ref_text, decision, note = cells[0], fold(cells[8]), cells[9]
        if not any(cells):
            continue
        if not decision:
            plan.undecided += 1
            continue
        where = speak._("row {n} ({ref})", n=number, ref=ref_text[:20] or "—")
        meaning = words.get(decision)
        ref = parse_ref(ref_text)
        why = _unusable(session, speak, ref, meaning, note, seen)
        if why:
            plan.unusable.append(f"{where}: {why}")
            continue
        assert ref is not None
        seen.add(ref)
        if meaning == ACCEPT:
            plan.accept.append(ref)
        else:
            plan.give_back.append((ref, note))
    return plan


def _unusable(session: Session, speak: Lang, ref: str | None, meaning: str | None, note: str,
              seen: set[str]) -> str:
    """Why a decided row cannot be applied, or "" when it can."""
    if meaning is None:
        return speak._("the decision is neither Tiếp nhận nor Trả lại")
    if ref is None or load(session, ref) is None:
        return speak._("not a submission of this bot")
    if ref in seen:
        return speak._("listed twice")
    if meaning == RETURN and sum(ch.isalnum() for ch in note) < 3:
        return speak._("a return needs a note")
    row = load(session, ref)
    assert row is not None
    newer = newer_than(session, row)
    if newer is not None:
        return speak._("revised since the file was made: the unit sent {newer}", newer=newer)
    try:
        reviewable(session, ref)
    except Refused as refused:
        return speak._(refused.msgid, **refused.values)
    return ""


def apply(session: Session, plan: Plan, member: Any, at: datetime, speak: Lang) -> str:
    """Each decision by the rule for one, in the rows' lock order (`in_lock_order`); what could not be done,
    said. Each unit is told once: what was accepted, and each return with its note and its button."""
    notes = dict(plan.give_back)
    counts = {ACCEPT: 0, RETURN: 0}
    failed = []
    how = {"via": "xlsx"}
    told = Told(local_day(at))
    for ref in in_lock_order([*plan.accept, *notes]):
        try:
            if ref in notes:
                give_back(session, ref, notes[ref], member, at, how, told)
                counts[RETURN] += 1
            else:
                accept(session, ref, member, at, how, told)
                counts[ACCEPT] += 1
        except Refused as refused:
            failed.append(f"{ref}: {speak._(refused.msgid, **refused.values)}")
    told.send(session)
    lines = [speak._("Applied: {accepted} accepted, {returned} returned; each unit will be told.",
                     accepted=counts[ACCEPT], returned=counts[RETURN])]
    lines += [f"• {line}" for line in failed]
    return "\n".join(lines)


# -- the form that takes it back -----------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class WorkbookStep(Files):
    """The filled workbook, sent as a file while the form is open: one, judged at once."""

    max_files: int = 1

    def add(self, ctx: Context, answers: Answers, file_id: int) -> list[int]:
        if not can(ctx.member, Permission.REVIEW):
            discard(ctx.session, file_id)
            raise Invalid(N_("Only Sở KH&CN's managers may review."))
        row = ctx.session.get(EvidenceFile, file_id)
        if row is None or row.mime_type != XLSX:
            discard(ctx.session, file_id)
            raise Invalid(N_("That file is not a review workbook of this bot (an .xlsx made by /duyet xlsx); nothing "
                             "was applied."))
        try:
            read(ctx.session, row.content, ctx.lang)
        except Invalid:
            discard(ctx.session, file_id)
            raise
        for old in answers.get(self.name) or []:  # a second file replaces the first
            _drop(ctx, old)
        return super().add(ctx, {**answers, self.name: []}, file_id)

    def show(self, ctx: Context, answers: Answers, value: Any) -> str:
        row = ctx.session.get(EvidenceFile, (value or [0])[0])
        return read(ctx.session, row.content, ctx.lang).text(ctx.lang) if row else "—"


@dataclass(frozen=True)
class WorkbookForm(Form):
    def summary(self, ctx: Context, answers: Answers) -> str:
        if not answers.get("workbook"):
            return ctx.lang._("Send the filled review workbook (.xlsx) here. Nothing is done before you confirm.")
        return WORKBOOK_STEP.show(ctx, answers, answers["workbook"])


def _apply(ctx: Context, answers: Answers) -> list[Reply]:
    if not can(ctx.member, Permission.REVIEW):  # the role may have changed while the form was open
        return refusal(ctx, Permission.REVIEW)
    file_id = (answers.get("workbook") or [0])[0]
    row = ctx.session.get(EvidenceFile, file_id)
    if row is None:
        return [Reply(ctx.lang._("No workbook was sent; nothing was applied."))]
    plan = read(ctx.session, row.content, ctx.lang)  # read again: what stands now is what is applied
    said = apply(ctx.session, plan, ctx.member, ctx.recorded_at, ctx.lang)
    _drop(ctx, file_id)  # read and applied: the decisions are in the audit log, the file is kept no longer
    return [Reply(said)]


def sent_unasked(ctx: Context, file_id: int, engine: FormEngine) -> list[Reply] | None:
    """A reviewer sent a workbook without /duyet nhapfile first: the review workbook (its hidden mark) opens the
    form that applies it, with what it would do, nothing done before the confirmation; None for any other file."""
    row = ctx.session.get(EvidenceFile, file_id)
    if row is None or row.mime_type != XLSX or not can(ctx.member, Permission.REVIEW):
        return None
    try:
        held = WORKBOOK_STEP.add(ctx, {}, file_id)
    except Invalid:
        return None
    return [Reply(ctx.lang._("This is the review workbook: here is what it would do. Nothing is done before you "
                             "confirm.")), *engine.start(ctx, REVIEW_FILE.name, {WORKBOOK_STEP.name: held})]


def _drop(ctx: Context, file_id: int) -> None:
    row = ctx.session.get(EvidenceFile, file_id)
    if row is not None and row.member_id == ctx.member.id and not row.progress_update_id and not row.annual_report_id:
        ctx.session.delete(row)


WORKBOOK_STEP = WorkbookStep(name="workbook", prompt=N_("The filled review workbook"), optional=True)
REVIEW_FILE = WorkbookForm("review_file", on_submit=_apply, steps=[WORKBOOK_STEP], evidence_hint=False,
                           confirm=Confirm(prompt=N_("Apply these decisions?"), choices=named_save(N_("Apply"))))
