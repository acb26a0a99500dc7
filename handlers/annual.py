"""/baocaonam: the unit's report on its year, in as few messages as the year needs.

It opens with what the unit has: the tasks already reported this year (kept as they stand), the tasks waiting
for an event (not asked), and the rest, lead (chủ trì) and cooperating (phối hợp) apart. One answer says
"nothing new" for all of the rest; the other picks the few tasks that have news, by number or code, and only
those are asked: their status ("60%" says in progress and how far), and a result and the task's figures when
work was done. Then the unit's difficulties and proposals, and a short summary to send ("Gửi"). The tasks
not picked are recorded as nothing arisen (không phát sinh) or kept as reported. Leave at any point and come
back with /tiep or /baocaonam; `/baocaonam lamlai` starts again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select

from handlers.machinery import audit
from handlers.assignments import describe_status, no_tasks, recorded_year, unit_tasks
from handlers.machinery.context import Context
from handlers.machinery.evidence import attach
from handlers.machinery.forms import Choice, Form, FormEngine, Option, Percent, Text
from handlers.machinery.forms.steps import Answers, Confirm, Picks, Step, StepGroup, Together, figure_steps, named_save
from handlers.machinery.messages import Reply
from handlers.progress import EVIDENCE_STEP, STATUS_STEP, WORKING, YEAR_STEP, StatusStep
from jobs.refs import Ref
from jobs.reminders import open_years
from jobs.review import return_open
from jobs.text import fold
from jobs.year import AssignmentYear, save_update
from locales import N_, Lang
from models import AnnualReport, ProgressUpdate
from models.progress import Status

PREVIEW = 120
LABEL = 60
NOTHING_NEW, SOME_NEWS = "none", "pick"
START_AGAIN = {"lamlai", "lam lai", "moi", "tu dau", "again", "restart"}  # folded: /baocaonam lamlai

RESULT_SHOWN = 60  # characters of a kept answer's result shown when the report opens


@dataclass(frozen=True)
class Year:
    """The unit's tasks as the report opens them: kept as reported, waiting for an event, and the rest."""

    reported: list[AssignmentYear]
    waiting: list[AssignmentYear]
    rest: list[AssignmentYear]

    @property
    def askable(self) -> list[AssignmentYear]:
        """What may be picked for news: every task but those waiting, lead ones first."""
        return sorted(self.reported + self.rest, key=lambda item: (not item.is_lead, _order(self, item)))


def _order(year: Year, item: AssignmentYear) -> int:
    everything = year.reported + year.waiting + year.rest
    return next(n for n, other in enumerate(everything) if other.assignment_id == item.assignment_id)


def as_it_opens(ctx: Context, year: int) -> Year:
    items = unit_tasks(ctx, year)
    waiting = [i for i in items if i.waits_for_event]
    reported = [i for i in items if not i.waits_for_event and i.reported]
    rest = [i for i in items if i not in waiting and i not in reported]
    return Year(reported, waiting, rest)


def _kept(speak: Lang, item: AssignmentYear) -> str:
    """A kept answer as /nhiemvu shows it — the standing, how far along, where Sở KH&CN's review stands — and
    the start of what the unit wrote, so the officer sees what they keep."""
    said = describe_status(speak, item)
    result = item.update.result.strip() if item.update is not None else ""
    if result:
        said += f" — “{result[:RESULT_SHOWN]}{'…' if len(result) > RESULT_SHOWN else ''}”"
    return said


def _role(speak: Lang, item: AssignmentYear) -> str:
    return speak._("lead") if item.is_lead else speak._("cooperating")


def _codes(items: list[AssignmentYear]) -> str:
    return ", ".join(item.task.code for item in items)


def overview(ctx: Context, year: Year, recorded: int) -> str:
    """What the unit has this year, listed once."""
    speak = ctx.lang
    lines = [speak._("Annual report {year} of {unit}: {n} tasks.", year=recorded, unit=ctx.unit.name,
                     n=len(year.reported) + len(year.waiting) + len(year.rest))]
    if year.reported:
        lines.append(speak._("• Reported during the year, kept as they stand:") + "".join(
            f"\n  – {item.task.code}: {_kept(speak, item)}" for item in year.reported))
    if year.waiting:
        lines.append(speak._("• Waiting for an event, nothing to report: {codes}.", codes=_codes(year.waiting)))
    leads = [item for item in year.rest if item.is_lead]
    cooperating = [item for item in year.rest if not item.is_lead]
    if leads:
        lines.append(speak._("• Not yet reported, as lead unit: {codes}.", codes=_codes(leads)))
    if cooperating:
        lines.append(speak._("• Not yet reported, as cooperating unit: {codes}.", codes=_codes(cooperating)))
    return "\n".join(lines)


@dataclass(frozen=True, kw_only=True)
class ScopeStep(Choice):
    """The opening question: nothing new for the rest, or which tasks have news. The answer keeps the tasks
    the member was shown as "the rest", so a task added to the plan meanwhile is never reported unseen."""

    year: Year = field(default_factory=lambda: Year([], [], []))

    def ask(self, ctx: Context, answers: Answers) -> str:
        if self.year.rest:
            return ctx.lang._("Is there anything new to report? \"Nothing new\": the {n} tasks not yet reported "
                              "are reported as nothing arisen, the others kept as they stand.", n=len(self.year.rest))
        return ctx.lang._("Is there anything new to report? \"Nothing new\": every task is kept as it stands.")

    def parse(self, ctx: Context, answers: Answers, text: str) -> Any:
        return self._with_rest(super().parse(ctx, answers, text))

    def pressed(self, ctx: Context, answers: Answers, value: str) -> Any:
        return self._with_rest(value)

    def _with_rest(self, value: str) -> Together:
        return Together({self.name: value, "rest": [str(item.assignment_id) for item in self.year.rest]})

    def show(self, ctx: Context, answers: Answers, value: Any) -> str:
        picked = set(answers.get("news") or []) if value == SOME_NEWS else set()
        arisen = sum(1 for item_id in answers.get("rest") or [] if item_id not in picked)
        kept = sum(1 for item in self.year.reported if str(item.assignment_id) not in picked)
        parts = [ctx.lang._("{n} tasks: nothing arisen", n=arisen)] if arisen else []
        parts += [ctx.lang._("{n} kept as reported", n=kept)] if kept else []
        parts += [ctx.lang._("{n} waiting for an event", n=len(self.year.waiting))] if self.year.waiting else []
        return "; ".join(parts) or ctx.lang._("nothing else")


@dataclass(frozen=True, kw_only=True)
class Shown(Step):
    """What the member was shown as "the rest" when answering the opening question: never asked."""

    silent: bool = True
    listed: bool = False

    def parse(self, ctx: Context, answers: Answers, text: str) -> Any:
        raise NotImplementedError  # filled by ScopeStep, never typed


@dataclass(frozen=True, kw_only=True)
class NewsStep(Picks):
    """Which tasks have news: their numbers or codes. Says which numbers are lead and which cooperating."""

    year: Year = field(default_factory=lambda: Year([], [], []))

    def ask(self, ctx: Context, answers: Answers) -> str:
        askable = self.year.askable
        leads = sum(1 for item in askable if item.is_lead)
        parts = [ctx.lang._(self.prompt)]
        if leads and leads < len(askable):
            parts.append(ctx.lang._("Lead: {first}–{last}. Cooperating: {next}–{end}.", first=1, last=leads,
                                    next=leads + 1, end=len(askable)))
        parts.append(ctx.lang._("Type their numbers or codes, separated by commas (for example: 2, 5 or I.3). The "
                                "tasks not picked are reported as nothing arisen, or kept as reported."))
        return "\n".join(parts)


def _news_options(year: Year) -> Any:
    def options(ctx: Context, answers: Answers) -> list[Option]:
        found = []
        for item in year.askable:
            label = f"{item.task.code} ({_role(ctx.lang, item)}) {item.task.content}"
            found.append(Option(str(item.assignment_id), label if len(label) <= LABEL else label[:LABEL - 1] + "…",
                                (fold(item.task.code),)))
        return found
    return options


@dataclass(frozen=True)
class AnnualSteps(StepGroup):
    """The opening question, the pick of tasks with news, and the questions on each task picked."""

    def expand(self, ctx: Context, answers: Answers) -> list[Step]:
        recorded = recorded_year(ctx, answers)
        year = ctx.remember(("annual_year", recorded), lambda: as_it_opens(ctx, recorded))
        steps: list[Step] = [
            ScopeStep(name="scope", prompt=N_("Anything new?"), title=N_("The other tasks"), year=year,
                      intro=overview(ctx, year, recorded), choices=((NOTHING_NEW, N_("Nothing new")),
                                                          (SOME_NEWS, N_("Pick the tasks with news"))),
                      aliases={NOTHING_NEW: ("khong", "khong co", "khong co gi moi", "khong phat sinh",
                                             "tat ca khong phat sinh", "nothing", "none"),
                               SOME_NEWS: ("co", "chon", "yes", "pick")}),
            Shown(name="rest", prompt="", when=lambda a: "scope" in a),
            NewsStep(name="news", prompt=N_("Which tasks have news?"), title=N_("Tasks with news"), year=year,
                     choices=_news_options(year), when=lambda a: a.get("scope") == SOME_NEWS),
        ]
        picked = (answers.get("news") or []) if answers.get("scope") == SOME_NEWS else []
        chosen = [item for item in year.askable if str(item.assignment_id) in picked]
        for number, item in enumerate(chosen, start=1):
            steps += _task_steps(ctx, item, number, len(chosen))
        return steps


def _task_steps(ctx: Context, item: AssignmentYear, number: int, total: int) -> list[Step]:
    prefix, code = f"t{item.assignment_id}", item.task.code
    content = item.task.content if len(item.task.content) <= PREVIEW else item.task.content[:PREVIEW] + "…"
    intro = ctx.lang._("Task {code} ({role}), {n}/{total}: {content}", code=code, role=_role(ctx.lang, item),
                       n=number, total=total, content=content)
    if item.update is not None:
        said = describe_status(ctx.lang, item) + (f" — {item.update.result[:PREVIEW]}" if item.update.result else "")
        intro += "\n" + ctx.lang._("Already reported: {said}", said=said)

    def working(a: Answers) -> bool:
        return a.get(f"{prefix}.status") in WORKING

    return [
        StatusStep(name=f"{prefix}.status", intro=intro, title_prefix=f"{code} · ", percent=f"{prefix}.percent",
                   **STATUS_STEP),
        Percent(name=f"{prefix}.percent", prompt=N_("How far along is it, in percent? For example: 60%"),
                title=N_("Progress"), title_prefix=f"{code} · ",
                when=lambda a: a.get(f"{prefix}.status") == Status.IN_PROGRESS),
        Text(name=f"{prefix}.result", prompt=N_("What has been done? A sentence or two (at most 1,000 characters)."),
             title=N_("Result"), max_len=1000, when=working, title_prefix=f"{code} · "),
        *figure_steps(f"{prefix}.fig", list(item.task.figures), when=working, title_prefix=f"{code} · "),
    ]


def submit(ctx: Context, answers: Answers) -> list[Reply]:
    period = str(recorded_year(ctx, answers))
    revised = Ref.from_key(answers.get("revises"))
    latest = ctx.session.exec(select(AnnualReport).where(AnnualReport.unit_id == ctx.unit.id,
                                                         AnnualReport.period == period)
                              .order_by(col(AnnualReport.id).desc())).first()
    returned = latest.id if latest and return_open(ctx.session, latest) else None  # revised by this one
    report = AnnualReport(unit_id=ctx.unit.id or 0, period=period, member_id=ctx.member.id or 0,
                          difficulties=answers.get("difficulties") or "", proposals=answers.get("proposals") or "",
                          channel=ctx.channel, created_at=ctx.recorded_at,
                          resubmits_id=revised.number if revised and revised.is_annual else returned)
    ctx.session.add(report)
    ctx.session.flush()
    shown_as_rest = set(answers.get("rest") or [])
    updated = kept = 0
    for item in unit_tasks(ctx, int(period)):
        prefix = f"t{item.assignment_id}"
        status = answers.get(f"{prefix}.status")
        if status is None and str(item.assignment_id) in shown_as_rest:
            status = Status.NOT_ARISEN  # "nothing new", for a task the member saw listed as not reported
        if status is None:
            kept += item.update is not None  # as reported; or waiting, or added since: not asked, not recorded
            continue
        figures = {name.rsplit(".", 1)[1]: value for name, value in answers.items()
                   if name.startswith(f"{prefix}.fig.") and value is not None}
        save_update(ctx.session, ProgressUpdate(
            assignment_id=item.assignment_id, period=period, status=status,
            percent=answers.get(f"{prefix}.percent"), result=answers.get(f"{prefix}.result") or "", figures=figures,
            member_id=ctx.member.id or 0, channel=ctx.channel, created_at=ctx.recorded_at, annual_report_id=report.id))
        updated += 1
    report.tasks_updated, report.tasks_kept = updated, kept
    attach(ctx.session, answers.get("files") or [], ctx.member.id or 0, annual_report_id=report.id)
    audit.record(ctx.session, audit.member(ctx.member), "annual.submitted", f"annual_report:{report.id}",
                 unit=ctx.unit.code, year=report.period, updated=updated, kept=kept, channel=ctx.channel)
    return [Reply(ctx.lang._("Received: the {year} report of {unit}, receipt no. {id}, at {time}. Tasks answered: "
                             "{updated} updated, {kept} kept as they were. You can send it again later; the newest "
                             "report counts.", year=report.period, unit=ctx.unit.name, id=report.id,
                             time=ctx.now.strftime("%H:%M ") + ctx.lang.date(ctx.today), updated=updated, kept=kept))]


SEND = Confirm(prompt=N_("Send this annual report to Sở KH&CN?"), choices=named_save(N_("Send")),
               aliases={**Confirm().aliases, "save": (*Confirm().aliases["save"], "gui", "gui di", "gui bao cao",
                                                      "nop", "xong", "send")})

ANNUAL = Form("annual", on_submit=submit, confirm=SEND, steps=[
    YEAR_STEP,
    AnnualSteps(),
    Text(name="difficulties", prompt=N_("Difficulties and obstacles of the unit this year? (optional)"),
         title=N_("Difficulties"), max_len=2000, optional=True),
    Text(name="proposals", prompt=N_("Proposals to Sở KH&CN or the province? (optional)"), title=N_("Proposals"),
         max_len=2000, optional=True),
    EVIDENCE_STEP,
])


def start(ctx: Context, engine: FormEngine, args: str = "") -> list[Reply]:
    """Opens the report; typed again while it is open, goes on where the member stopped (nothing is lost),
    unless asked to start again."""
    if not any(unit_tasks(ctx, year) for year in open_years(ctx.session, ctx.unit.id or 0, ctx.today)):
        return [no_tasks(ctx)]
    state = engine.state(ctx)
    if state is not None and state.form == "annual" and fold(args).strip() not in START_AGAIN:
        return [Reply(ctx.lang._("Your annual report is half done: it goes on where you stopped. (To start it again "
                                 "from the beginning: /baocaonam lamlai)")), *engine.resume(ctx)]
    return engine.start(ctx, "annual")
