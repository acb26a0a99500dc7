"""/baocao (/report): the year's picture for managers and viewers of Sở KH&CN, with drill-down by unit
(`/baocao binh son`), by task (`/baocao III.1`), who has not reported (`/baocao chua`), and the exports as
files (`/baocao xlsx`, `/baocao docx`). Everything is derived from the stored updates."""

from __future__ import annotations

from handlers.forms import FormContext
from handlers.messages import Action, Attachment, Reply
from handlers.outbox import OutgoingMessage, enqueue
from jobs.reminders import officers
from jobs.text import fold
from locales import lang
from models import Unit
from models.organisation import Role
from reports.chart import chart
from reports.docx import draft
from reports.summary import STANDING_LABELS, Standing, YearSummary, summarise
from reports.xlsx import workbook

READERS = (Role.MANAGER, Role.VIEWER, Role.ADMIN)
REMINDERS = (Role.MANAGER, Role.ADMIN)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PNG = "image/png"
MISSING_WORDS = {"chua", "chua bao cao", "chuabaocao", "missing"}
NUDGE_WORDS = {"nhac", "nhacnho", "nhac nho", "remind"}
TASK_WORDS = {"nhiemvu", "nhiem vu", "tasks"}
BUTTON_TEXT = 40
MAX_LISTED = 40


def handle(ctx: FormContext, args: str) -> list[Reply]:
    if ctx.member.role not in READERS:
        return [Reply(ctx.lang._("This command is for managers of Sở KH&CN."))]
    wanted = fold(args)
    summary = summarise(ctx.session, ctx.today.year, ctx.today, ctx.zone, history=wanted in {"xlsx", "excel"})
    if not wanted:
        return [Reply(overview(ctx, summary), actions=(
            Action(ctx.lang._("Not reported yet"), "/baocao chua"), Action(ctx.lang._("By task"), "/baocao nhiemvu"),
            Action("Excel", "/baocao xlsx"), Action("Word", "/baocao docx"), Action(ctx.lang._("Chart"), "/baocao png")))]
    if wanted in TASK_WORDS:
        return [Reply(ctx.lang._("Which task?"), actions=tuple(
            Action(f"{t.code} {t.content[:BUTTON_TEXT]}…", f"/baocao {t.code}") for t in summary.tasks()))]
    if wanted in {"xlsx", "excel"}:
        return [Reply(ctx.lang._("Consolidated workbook, {year}.", year=summary.year),
                      attachment=Attachment(f"tdc-{summary.year}.xlsx", workbook(summary, ctx.lang), XLSX))]
    if wanted in {"docx", "word"}:
        return [Reply(ctx.lang._("Draft of the consolidated report, {year}.", year=summary.year),
                      attachment=Attachment(f"bao-cao-tdc-{summary.year}.docx", draft(summary, lang("vi")), DOCX))]
    if wanted in {"png", "chart", "bieudo", "bieu do"}:
        return [Reply(ctx.lang._("Chart of the year {year}.", year=summary.year),
                      attachment=Attachment(f"tdc-{summary.year}.png", chart(summary, ctx.lang), PNG))]
    if wanted in MISSING_WORDS:
        remind = (Action(ctx.lang._("Remind them now"), "/baocao nhacnho"),) if ctx.member.role in REMINDERS else ()
        return [Reply(missing(ctx, summary), actions=remind if summary.units_missing else ())]
    if wanted in NUDGE_WORDS:
        return [Reply(nudge(ctx, summary))]
    task = next((t for t in summary.tasks() if fold(t.code) == wanted), None)
    if task is not None:
        return [Reply(by_task(ctx, summary, task.code))]
    return [Reply(by_unit(ctx, summary, wanted))]


def _tally(ctx: FormContext, counts: dict[Standing, int]) -> str:
    return " · ".join(f"{ctx.lang._(STANDING_LABELS[s])} {counts.get(s, 0)}" for s in Standing)


def overview(ctx: FormContext, summary: YearSummary) -> str:
    lines = [ctx.lang._("Implementation in {year}, as of {date}", year=summary.year, date=ctx.lang.date(ctx.today)),
             ctx.lang._("Units reported: {reported}/{expected}", reported=len(summary.units_reported),
                        expected=len(summary.units_expected)), ""]
    by_section = summary.by_section()
    for section in summary.sections:
        if section["number"] in by_section:
            lines.append(f"{section['number']}: {_tally(ctx, by_section[section['number']])}")
    figures = [f for f in summary.figures() if f.reports]
    if figures:
        lines += ["", ctx.lang._("Figures reported:")]
        lines += [f"• {f.task_code} {f.label}: {ctx.lang.number(round(f.value, 1))} {f.unit}"
                  + (ctx.lang._(" (target {target})", target=ctx.lang.number(f.target)) if f.target is not None else "")
                  for f in figures]
    lines += ["", ctx.lang._("More: /baocao UNIT NAME · /baocao III.1 · /baocao chua · /baocao xlsx · /baocao docx · /baocao png")]
    return "\n".join(lines)


def by_task(ctx: FormContext, summary: YearSummary, code: str) -> str:
    rows = [row for row in summary.rows if row.task.code == code]
    counts = summary.by_task()[code]
    lines = [f"{code}. {rows[0].task.content}", _tally(ctx, counts), ""]
    lines += [f"• {row.unit.name}: {ctx.lang._(STANDING_LABELS[row.standing])}"
              for row in rows if row.standing is not Standing.NOT_REPORTED][:MAX_LISTED]
    return "\n".join(lines)


def by_unit(ctx: FormContext, summary: YearSummary, wanted: str) -> str:
    matches = [u for u in summary.units_expected if wanted in fold(u.name) or any(wanted in fold(a) for a in u.aliases)
               or wanted == fold(u.code)]
    if not matches:
        return ctx.lang._("No unit or task matches \"{text}\". Try part of a name, e.g. /baocao binh son.",
                          text=wanted[:50])
    if len(matches) > 1:
        names = "\n".join(f"• {u.name}" for u in matches[:MAX_LISTED])
        return ctx.lang._("Several units match; be more precise:\n{names}", names=names)
    unit = matches[0]
    rows = [row for row in summary.rows if row.unit.id == unit.id]
    lines = [ctx.lang._("{unit}, {year}:", unit=unit.name, year=summary.year)]
    lines += [f"• {row.task.code}: {ctx.lang._(STANDING_LABELS[row.standing])}" for row in rows]
    return "\n".join(lines)


def missing(ctx: FormContext, summary: YearSummary) -> str:
    units: list[Unit] = summary.units_missing
    if not units:
        return ctx.lang._("Every unit has reported.")
    lines = [ctx.lang._("{n} units have not reported yet:", n=len(units))]
    lines += [f"• {u.name}" for u in units[:MAX_LISTED]]
    if len(units) > MAX_LISTED:
        lines.append(ctx.lang._("… and {n} more (see /baocao xlsx).", n=len(units) - MAX_LISTED))
    return "\n".join(lines)


def nudge(ctx: FormContext, summary: YearSummary) -> str:
    """Managers remind every officer of a unit that has not reported, once a day at most."""
    if ctx.member.role not in REMINDERS:
        return ctx.lang._("Only managers of Sở KH&CN can remind units.")
    recipients = officers(ctx.session, {u.id or 0 for u in summary.units_missing})
    names = {u.id: u.name for u in summary.units_missing}
    messages = [OutgoingMessage(f"nudge:{r.member_id}:{summary.year}:{ctx.today.isoformat()}", "nudge", r.member_id,
                                r.channel, r.chat_id, lang(r.language)._(
                                    "Sở KH&CN asks {unit} to send its {year} report: type /baocaonam.",
                                    unit=names[r.unit_id], year=summary.year))
               for members in recipients.values() for r in members]
    added = enqueue(ctx.session, messages)
    return ctx.lang._("Reminders queued: {added} officers of {units} units (of {missing} that have not reported); "
                      "they go out within minutes, in office hours.", added=added, units=len(recipients),
                      missing=len(summary.units_missing))
