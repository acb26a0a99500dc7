"""/baocao (/report): the year's picture for managers and viewers of Sở KH&CN, with drill-down by unit
(`/baocao binh son`), by task (`/baocao III.1`), who has not reported (`/baocao chua`), and the exports as
files (`/baocao xlsx`, `/baocao docx`, `/baocao png`), which are made off the conversation's path and sent when
ready. Everything is derived from the stored updates."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum
from datetime import date, tzinfo
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from handlers.assignments import describe_status
from handlers.machinery.access import Permission, can, refusal
from handlers.machinery.context import Context
from handlers.machinery.messages import Action, Attachment, Deferred, Reply
from handlers.machinery.outbox import OutgoingMessage, enqueue
from handlers import onboarding
from handlers.machinery import evidence
from handlers.machinery.evidence import DOCX, PNG, XLSX
from handlers.review import decisions as review
from handlers.plans import plan_named
from jobs.reminders import officers
from jobs.refs import Ref
from jobs.text import fold
from locales import Lang, lang
from models import Unit
from reports.chart import chart
from reports.docx import Signer, draft
from jobs.year import STANDING_LABELS, NOT_REPORTED, Standing, UnitRef, local_day
from models.progress import REVIEW_LABELS
from reports.summary import Consolidation, Tally, YearOverview, YearSummary, overview_of, summarise
from reports.period import MOST_YEARS, summarise_period
from reports.period_book import period_workbook
from reports.period_chart import period_chart
from reports.period_docx import period_draft
from reports.xlsx import workbook

BUTTON_TEXT = 40
MAX_LISTED = 40
RESULT_SHOWN = 120  # characters of a result shown in the unit view; the whole text is in /duyet and the files

View = Callable[[Context, Any], list[Reply]]  # given what its entry in VIEWS says it reads


def handle(ctx: Context, args: str) -> list[Reply]:
    """Reading is checked by the dispatcher (Permission.READ_ALL); views that do more declare it in VIEWS."""
    wanted = fold(args)
    if wanted.startswith("tep "):
        return files(ctx, wanted[4:])
    plan, wanted = plan_named(ctx.session, wanted)
    found = next(((view, permission, reads) for words, view, permission, reads in VIEWS if wanted in words), None)
    if found is not None and not can(ctx.member, found[1]):
        return refusal(ctx, found[1])
    plan_ids, scope = ({plan.id or 0}, plan.key) if plan else (None, "")
    if (span := PERIOD.match(wanted)) is not None:
        return _period(ctx, int(span.group(1)), int(span.group(2)), span.group(3), plan_ids, scope)
    if wanted in FILES:
        return _file(ctx, FILES[wanted], plan_ids, scope)
    if found is not None and found[2] is Reads.COUNTS:
        return found[0](ctx, overview_of(ctx.session, ctx.today.year, ctx.today, ctx.zone, plan_ids, scope))
    summary = summarise(ctx.session, ctx.today.year, ctx.today, ctx.zone, plan_ids=plan_ids, scope=scope,
                        history=found is not None and found[2] is Reads.HISTORY)
    if found is not None:
        return found[0](ctx, summary)
    task = next((t for t in summary.tasks() if fold(t.code) == wanted), None)
    if task is not None:
        return [Reply(by_task(ctx, summary, task.code))]
    return [Reply(by_unit(ctx, summary, wanted))]


PERIOD = re.compile(r"^(\d{4}) ?[-–] ?(\d{4})(?: (xlsx|excel|docx|word|png|chart|bieu do|bieudo))?$")  # 2025-2027 docx


def _period(ctx: Context, first: int, last: int, kind: str | None, plan_ids: set[int] | None,
            scope: str) -> list[Reply]:
    """A sơ kết or tổng kết: each year's units reported, and its two files (made off the conversation's path).
    A period runs from a year to this one at the latest; a file of it is made up to this year."""
    if not first <= last or last > ctx.today.year or last - first >= MOST_YEARS:
        return [Reply(ctx.lang._("A period is written as two years: the first not after the last, the last not after "
                                 "this year, at most {most} years in all; for example /baocao {example}.",
                                 most=MOST_YEARS, example=f"{ctx.today.year - 2}-{ctx.today.year}"))]
    if kind is not None:
        return _file(ctx, FILES[kind], plan_ids, scope, since=first, year=last)
    words = f"{first}-{last}"
    lines = [ctx.lang._("The plan's years {first}–{last}:", first=first, last=last)]
    for year in range(first, last + 1):
        overview = overview_of(ctx.session, year, min(ctx.today, date(year, 12, 31)), ctx.zone, plan_ids, scope)
        lines.append(ctx.lang._("• {year}: {reported}/{expected} units reported.", year=year,
                                reported=overview.units_reported, expected=overview.units_expected)
                     if overview.units_expected else ctx.lang._("• {year}: no task of the plan that year.", year=year))
    prefix = f"/baocao {scope} " if scope else "/baocao "
    return [Reply("\n".join(lines), actions=(
        Action(ctx.lang._("Workbook of the period (Excel)"), f"{prefix}{words} xlsx"),
        Action(ctx.lang._("Draft of the review (Word)"), f"{prefix}{words} docx"),
        Action(ctx.lang._("Figures against their targets (chart)"), f"{prefix}{words} png")))]


def _command(summary: Consolidation, words: str) -> str:
    """A button's command, in the plan the view was asked for."""
    return f"/baocao {summary.scope} {words}" if summary.scope else f"/baocao {words}"


def files(ctx: Context, wanted: str) -> list[Reply]:
    """The files of a submission, sent as files: `/baocao tep u12`."""
    ref = review.parse_ref(wanted)
    found = review.files_of(ctx.session, ref) if ref else []
    if not found:
        return [Reply(ctx.lang._("Submission {ref} has no files.", ref=wanted[:20]))]
    sent = [Reply(f"{f.filename} · {evidence.size_text(f.size)} · SHA-256 {f.sha256[:16]}…",
                  attachment=Attachment(f.filename, f.content, f.mime_type)) for f in found]
    return sent + review.decision(ctx, ref or "")  # seen the files, the reviewer decides here


def _overview(ctx: Context, summary: YearOverview) -> list[Reply]:
    return [Reply(overview(ctx, summary), actions=(
        Action(ctx.lang._("Not reported yet"), _command(summary, "chua")),
        Action(ctx.lang._("By task"), _command(summary, "nhiemvu")), Action("Excel", _command(summary, "xlsx")),
        Action("Word", _command(summary, "docx")), Action(ctx.lang._("Chart"), _command(summary, "png"))))]


def _task_menu(ctx: Context, summary: YearSummary) -> list[Reply]:
    return [Reply(ctx.lang._("Which task?"), actions=tuple(
        Action(f"{t.code} {t.content[:BUTTON_TEXT]}…", _command(summary, t.code)) for t in summary.tasks()))]


FILES = {"xlsx": "xlsx", "excel": "xlsx", "docx": "docx", "word": "docx", "png": "png", "chart": "png",
         "bieudo": "png", "bieu do": "png"}
SECONDS_PER_UNIT = {"xlsx": 0.0015, "docx": 0.0005, "png": 0.0003}  # bench/report.py, this 2-core machine


def _file(ctx: Context, kind: str, plan_ids: set[int] | None, scope: str, since: int = 0,
          year: int | None = None) -> list[Reply]:
    """Made off the conversation's path (bot/runtime/exports.py): said at once, with about how long, sent when ready."""
    units = int(ctx.session.exec(select(func.count()).select_from(Unit)).one())
    year = year or ctx.today.year
    years = year - since + 1 if since else 1
    seconds = max(5, round(units * SECONDS_PER_UNIT[kind] * years))
    wait = (ctx.lang._("about {n} seconds", n=seconds) if seconds < 90
            else ctx.lang._("about {n} minutes", n=round(seconds / 60)))
    later = Deferred(kind, year, ctx.today, ctx.lang.code, tuple(sorted(plan_ids or ())), scope, since)
    return [Reply(ctx.lang._("Preparing the file ({wait}); it will be sent here when it is ready. You can go on "
                             "meanwhile.", wait=wait), later=later)]


def make_file(session: Session, later: Deferred, zone: tzinfo, signer: Signer = Signer()) -> Reply:
    """The file itself, read from the database as it stands; what bot/runtime/exports.py runs in its own
    process, with the signer the settings name. A period's (`later.since`): its workbook or its draft."""
    speak = lang(later.language)
    plan_ids = set(later.plan_ids) or None
    if later.since:
        period = summarise_period(session, later.since, later.year, later.today, zone, plan_ids, later.scope)
        if later.kind == "xlsx":
            return Reply(speak._("Workbook of the period {span}.", span=period.span),
                         attachment=Attachment(f"tdc-{period.first}-{period.last}.xlsx",
                                               period_workbook(period, speak), XLSX))
        if later.kind == "png":
            return Reply(speak._("The plan's figures {span}, against their targets.", span=period.span),
                         attachment=Attachment(f"tdc-{period.first}-{period.last}.png",
                                               period_chart(period, speak), PNG))
        return Reply(speak._("Draft of the review of the period {span}.", span=period.span),
                     attachment=Attachment(f"so-ket-tdc-{period.first}-{period.last}.docx",
                                           period_draft(period, lang("vi"), signer), DOCX))
    summary = summarise(session, later.year, later.today, zone, plan_ids=plan_ids, scope=later.scope,
                        history=later.kind == "xlsx")
    return year_file(session, summary, later.kind, speak, signer)


def year_file(session: Session, summary: YearSummary, kind: str, speak: Lang, signer: Signer = Signer()) -> Reply:
    """The year's workbook, Word draft (with the year before beside its figures) or chart."""
    if kind == "xlsx":
        return Reply(speak._("Consolidated workbook, {year}.", year=summary.year),
                     attachment=Attachment(f"tdc-{summary.year}.xlsx", workbook(summary, speak), XLSX))
    if kind == "docx":  # an official document to the People's Committee: Vietnamese whatever the language
        previous = summarise(session, summary.year - 1, date(summary.year - 1, 12, 31), history=False,
                             plan_ids={plan.id or 0 for plan in summary.plans} or None)
        return Reply(speak._("Draft of the consolidated report, {year}.", year=summary.year),
                     attachment=Attachment(f"bao-cao-tdc-{summary.year}.docx",
                                           draft(summary, lang("vi"), signer, previous), DOCX))
    return Reply(speak._("Chart of the year {year}.", year=summary.year),
                 attachment=Attachment(f"tdc-{summary.year}.png", chart(summary, speak), PNG))


def _missing(ctx: Context, summary: YearSummary) -> list[Reply]:
    remind = can(ctx.member, Permission.REMIND) and summary.units_missing
    return [Reply(missing(ctx, summary),
                  actions=(Action(ctx.lang._("Remind them now"), _command(summary, "nhacnho")),) if remind else ())]


def _nobody(ctx: Context, summary: YearOverview) -> list[Reply]:
    board = onboarding.on_board(ctx.session)
    return [Reply("\n\n".join(filter(None, (onboarding.headline(ctx.lang, board),
                                            onboarding.nobody_text(ctx.lang, board),
                                            onboarding.expiring_text(ctx.lang, board)))))]


def _nudge(ctx: Context, summary: YearSummary) -> list[Reply]:
    return [Reply(nudge(ctx, summary))]


class Reads(Enum):
    """What a view reads: the year counted by the database, each assignment, or each update too."""

    COUNTS = "counts"
    YEAR = "year"
    HISTORY = "history"


READ = Permission.READ_ALL
# (words after /baocao, view, permission needed, what it reads)
VIEWS: list[tuple[set[str], View, Permission, Reads]] = [
    ({""}, _overview, READ, Reads.COUNTS),
    ({"nhiemvu", "nhiem vu", "tasks"}, _task_menu, READ, Reads.YEAR),
    ({"chua", "chua bao cao", "chuabaocao", "missing"}, _missing, READ, Reads.YEAR),
    ({"chuadangky", "chua dang ky", "dangky", "registered", "onboard"}, _nobody, READ, Reads.COUNTS),
    ({"nhac", "nhacnho", "nhac nho", "remind"}, _nudge, Permission.REMIND, Reads.YEAR),
]


def _tally(ctx: Context, counts: Tally) -> str:
    """"Chưa hoàn thành, quá hạn 96 · Đã hoàn thành đúng hạn 2 (chưa báo cáo 96)": the standings that occur,
    and beside them how many of those assignments nothing was reported on."""
    shown = " · ".join(f"{ctx.lang._(STANDING_LABELS[s])} {counts[s]}" for s in Standing if counts[s])
    if counts.unreported:
        shown += f" ({ctx.lang._(NOT_REPORTED)} {counts.unreported})"
    return shown


def overview(ctx: Context, summary: YearOverview) -> str:
    lines = [f"{summary.plans[0].number} {summary.plans[0].title}"] if summary.scope and summary.plans else []
    lines += [ctx.lang._("Implementation in {year}, as of {date}", year=summary.year, date=ctx.lang.date(ctx.today)),
             ctx.lang._("Units reported: {reported}/{expected}", reported=summary.units_reported,
                        expected=summary.units_expected),
             ctx.lang._("Annual reports received: {received}/{expected}", received=summary.annual_received,
                        expected=summary.units_expected),
             ctx.lang._("Awaiting review: {n} (/duyet)", n=review.awaiting_count(ctx.session, summary.year)),
             onboarding.headline(ctx.lang, onboarding.on_board(ctx.session)) + " (/baocao chuadangky)", ""]
    by_section = summary.by_section()
    for plan, section in summary.sections:
        counts = by_section.get((plan.id or 0, section["number"]))
        if counts is not None:
            lines.append(f"{summary.section_name(plan, section)}: {_tally(ctx, counts)}")
    figures = [f for f in summary.figures if f.reports]
    if figures:
        lines += ["", ctx.lang._("Figures reported:")]
        lines += [f"• {f.task_code} {f.label}: {ctx.lang.number(round(f.value, 1))} {f.unit}"
                  + (ctx.lang._(" (target {target})", target=ctx.lang.number(f.target)) if f.target is not None else "")
                  for f in figures]
    lines += ["", ctx.lang._("More: /baocao UNIT NAME · /baocao III.1 · /baocao chua · /baocao xlsx · /baocao docx · /baocao png")]
    return "\n".join(lines)


def by_task(ctx: Context, summary: YearSummary, code: str) -> str:
    """The task's tally, then each unit's standing: those that reported first, at most MAX_LISTED lines."""
    rows = sorted((row for row in summary.rows if row.task.code == code), key=lambda row: not row.reported)
    lines = [f"{code}. {rows[0].task.content}", _tally(ctx, summary.by_task()[code]), ""]
    lines += [f"• {row.unit.name}: {describe_status(ctx.lang, row)}" for row in rows[:MAX_LISTED]]
    if len(rows) > MAX_LISTED:
        lines.append(ctx.lang._("… and {n} more (see /baocao xlsx).", n=len(rows) - MAX_LISTED))
    return "\n".join(lines)


def by_unit(ctx: Context, summary: YearSummary, wanted: str) -> str:
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
    attached = evidence.counts(ctx.session, [row.update.id for row in rows if row.update])
    for row in rows:
        line = f"• {row.task.code}: {describe_status(ctx.lang, row)}"
        if row.update is not None and attached.get(row.update.id):
            line += " " + ctx.lang._("({n} file(s): /baocao tep u{id})", n=attached[row.update.id], id=row.update.id)
        if row.update is not None and row.update.result.strip():  # what the unit wrote, not only how it stands
            result = row.update.result.strip()
            cut = result if len(result) <= RESULT_SHOWN else result[:RESULT_SHOWN - 1].rstrip() + "…"
            line += f"\n  {Ref.update(row.update.id)}: “{cut}”"
        lines.append(line)
    return "\n".join([*lines, "", *annual_of(ctx, summary, unit)])


def annual_of(ctx: Context, summary: YearSummary, unit: UnitRef) -> list[str]:
    """Whether the unit's annual report arrived: when, its receipt, where its review stands, and what it says
    of difficulties and proposals."""
    found = next((report for report, of in summary.annual_reports if of.id == unit.id), None)
    if found is None:
        return [ctx.lang._("Annual report: not received yet.")]
    lines = [ctx.lang._("Annual report: received {date}, receipt a{id} — {review}.",
                        date=ctx.lang.date(local_day(found.created_at, ctx.zone)), id=found.id,
                        review=ctx.lang._(REVIEW_LABELS[found.review_state]).lower())]
    if found.difficulties:
        lines.append(ctx.lang._("Difficulties: {text}", text=found.difficulties))
    if found.proposals:
        lines.append(ctx.lang._("Proposals: {text}", text=found.proposals))
    return lines


def missing(ctx: Context, summary: YearSummary) -> str:
    units = summary.units_missing
    if not units:
        return ctx.lang._("Every unit has reported.")
    lines = [ctx.lang._("{n} units have not reported yet:", n=len(units))]
    lines += [f"• {u.name}" for u in units[:MAX_LISTED]]
    if len(units) > MAX_LISTED:
        lines.append(ctx.lang._("… and {n} more (see /baocao xlsx).", n=len(units) - MAX_LISTED))
    return "\n".join(lines)


def nudge(ctx: Context, summary: YearSummary) -> str:
    """Managers remind every officer of a unit that has not reported, once a day at most."""
    recipients = officers(ctx.session, {u.id or 0 for u in summary.units_missing})
    names = {u.id: u.name for u in summary.units_missing}
    messages = [OutgoingMessage(f"nudge:{r.member_id}:{summary.year}:{ctx.today.isoformat()}", "nudge", r.member_id,
                                r.channel, r.chat_id, lang(r.language)._(
                                    "Sở KH&CN asks {unit} to send its {year} report: type /baocaonam.",
                                    unit=names[r.unit_id], year=summary.year), r.unit_id)
               for members in recipients.values() for r in members]
    added = enqueue(ctx.session, messages)
    return ctx.lang._("Reminders queued: {added} officers of {units} units (of {missing} that have not reported); "
                      "they go out within minutes, in office hours.", added=added, units=len(recipients),
                      missing=len(summary.units_missing))
