"""/baocaonam: the unit's report on the year, one task at a time ("Nhiệm vụ 3/11: …"), lead tasks first, then
the unit's difficulties and proposals, then a summary to confirm. A task already updated this year is
offered as it stands, to keep with one tap. Leave at any point and come back with /tiep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from handlers import audit
from handlers.assignments import describe_status, unit_tasks
from handlers.context import Context
from handlers.forms import Choice, Form, FormEngine, Percent, Text
from handlers.forms.steps import Answers, Confirm, Step, StepGroup, figure_steps
from handlers.messages import Reply
from handlers.evidence import attach
from handlers.progress import EVIDENCE_STEP, STATUS_STEP, WORKING
from locales import N_
from jobs.year import AssignmentYear, save_update
from models import AnnualReport, ProgressUpdate
from models.progress import ReviewState
from models.progress import Status

PREVIEW = 120
KEEP = (("keep", N_("Keep it")), ("change", N_("Change it")))


def tasks_of(ctx: Context) -> list[AssignmentYear]:
    return unit_tasks(ctx)


@dataclass(frozen=True)
class TaskReports(StepGroup):
    """For each of the unit's tasks: keep what was said, or status, percent, result and the task's figures."""

    def expand(self, ctx: Context, answers: Answers) -> list[Step]:
        items = tasks_of(ctx)
        steps: list[Step] = []
        for number, item in enumerate(items, start=1):
            steps += self._task(ctx, item, number, len(items))
        return steps

    def _task(self, ctx: Context, item: AssignmentYear, number: int, total: int) -> list[Step]:
        prefix, code = f"t{item.assignment_id}", item.task.code
        content = item.task.content if len(item.task.content) <= PREVIEW else item.task.content[:PREVIEW] + "…"
        intro = ctx.lang._("Task {n}/{total}: {code}. {content}", n=number, total=total, code=code, content=content)

        def changing(a: Answers) -> bool:
            return a.get(f"{prefix}.keep") != "keep"

        def status_is(*statuses: str) -> Any:
            return lambda a: changing(a) and a.get(f"{prefix}.status") in statuses

        steps: list[Step] = []
        if item.update is not None:
            said = describe_status(ctx.lang, item)
            if item.update.result:
                said += f" — {item.update.result[:PREVIEW]}"
            steps.append(Choice(name=f"{prefix}.keep", prompt=N_("Keep this answer?"), title=N_("Answer"),
                                choices=KEEP, intro=ctx.lang._("{intro}\nAlready reported: {said}", intro=intro,
                                                               said=said), title_prefix=f"{code} · "))
            intro = ""
        steps += [
            Choice(name=f"{prefix}.status", when=changing, intro=intro, title_prefix=f"{code} · ", **STATUS_STEP),
            Percent(name=f"{prefix}.percent", prompt=N_("How far along is it, in percent? For example: 60%"),
                    title=N_("Progress"), when=status_is(Status.IN_PROGRESS), title_prefix=f"{code} · "),
            Text(name=f"{prefix}.result", prompt=N_("What has been done? A sentence or two (at most 1,000 characters)."),
                 title=N_("Result"), max_len=1000, when=changing, title_prefix=f"{code} · ",
                 optional=lambda a: a.get(f"{prefix}.status") not in WORKING),
        ]
        return steps + figure_steps(f"{prefix}.fig", list(item.task.figures), when=status_is(*WORKING),
                                    title_prefix=f"{code} · ")


def submit(ctx: Context, answers: Answers) -> list[Reply]:
    period = str(ctx.today.year)
    latest = ctx.session.exec(select(AnnualReport).where(AnnualReport.unit_id == ctx.unit.id,
                                                         AnnualReport.period == period)
                              .order_by(col(AnnualReport.id).desc())).first()
    report = AnnualReport(unit_id=ctx.unit.id or 0, period=period, member_id=ctx.member.id or 0,
                          difficulties=answers.get("difficulties") or "", proposals=answers.get("proposals") or "",
                          channel=ctx.channel, created_at=ctx.recorded_at,
                          resubmits_id=latest.id if latest and latest.review_state == ReviewState.RETURNED else None)
    ctx.session.add(report)
    ctx.session.flush()
    updated = kept = 0
    for item in tasks_of(ctx):
        prefix = f"t{item.assignment_id}"
        if answers.get(f"{prefix}.keep") == "keep":
            kept += 1
            continue
        if answers.get(f"{prefix}.status") is None:
            continue  # a task added to the plan after the form was opened: it was not asked
        figures = {name.rsplit(".", 1)[1]: value for name, value in answers.items()
                   if name.startswith(f"{prefix}.fig.") and value is not None}
        save_update(ctx.session, ProgressUpdate(
            assignment_id=item.assignment_id, period=str(ctx.today.year), status=answers[f"{prefix}.status"],
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


ANNUAL = Form("annual", on_submit=submit, confirm=Confirm(prompt=N_("Submit this annual report?")), steps=[
    TaskReports(),
    Text(name="difficulties", prompt=N_("Difficulties and obstacles of the unit this year? (optional)"),
         title=N_("Difficulties"), max_len=2000, optional=True),
    Text(name="proposals", prompt=N_("Proposals to Sở KH&CN or the province? (optional)"), title=N_("Proposals"),
         max_len=2000, optional=True),
    EVIDENCE_STEP,
])


def start(ctx: Context, engine: FormEngine) -> list[Reply]:
    if not tasks_of(ctx):
        return [Reply(ctx.lang._("{unit} has no tasks in {year}.", unit=ctx.unit.name, year=ctx.today.year))]
    return engine.start(ctx, "annual")
