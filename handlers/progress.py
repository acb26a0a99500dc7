"""/capnhat: a progress update on one task, as a form: task, status, percent, result, figures, difficulties."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import col, select

from handlers.machinery import audit
from handlers.assignments import has_tasks_to_record, no_tasks, recorded_year, unit_assigned, unit_plans, year_options
from handlers.machinery.context import Context
from handlers.machinery.evidence import attach
from handlers.machinery.forms import Choice, Figures, Files, Form, FormEngine, Option, Percent, Text
from handlers.machinery.forms.steps import Answers, Together
from handlers.machinery.messages import Reply
from jobs.refs import Ref
from jobs.text import fold
from jobs.year import TASK_ROW, in_force, save_update, task_from_row
from locales import N_
from models import Assignment, ProgressUpdate, Task
from models.progress import STATUS_LABELS, ReviewState, Status

BUTTON_LABEL = 60
EVIDENCE_STEP = Files(name="files", prompt=N_("Documents attached"), optional=True)  # files sent while the form is open
WORKING = (Status.DONE, Status.IN_PROGRESS)  # statuses that come with a result and figures
STATUS_STEP: dict[str, Any] = {
    "prompt": N_("Where does the task stand?"), "title": N_("Status"), "choices": list(STATUS_LABELS.items()),
    "aliases": {Status.DONE: ("xong", "hoan thanh", "done"), Status.IN_PROGRESS: ("dang lam",),
                Status.NOT_STARTED: ("chua",), Status.NOT_ARISEN: ("khong phat sinh",)},
}


def plan_options(ctx: Context, answers: Answers) -> list[Option]:
    """The plans the unit has tasks in, in the year the form records: asked only when there are several."""
    return [Option(str(plan.id), f"{plan.number} {plan.title}"[:BUTTON_LABEL], (fold(plan.key), fold(plan.number)))
            for plan in unit_plans(ctx, recorded_year(ctx, answers))]


def task_options(ctx: Context, answers: Answers) -> list[Option]:
    """Only this member's unit's tasks of the year the form records, in the plan chosen: the list a press is
    checked against."""
    options = []
    for item in unit_assigned(ctx, recorded_year(ctx, answers)):
        if "plan" in answers and str(item.task.plan_id) != answers["plan"]:
            continue
        label = f"{item.task.code} {item.task.content}"
        if len(label) > BUTTON_LABEL:
            label = label[:BUTTON_LABEL - 1].rstrip() + "…"
        options.append(Option(str(item.assignment_id), label, (item.task.code.lower(),)))
    return options


@dataclass(frozen=True, kw_only=True)
class TaskStep(Choice):
    """The unit's tasks, lead ones first: the question says which numbers are which, and that a task's code
    ("I.2") picks that task, so a list number and a code are not confused on a phone."""

    def ask(self, ctx: Context, answers: Answers) -> str:
        chosen = {option.value for option in self.options(ctx, answers)}
        leads = sum(1 for item in unit_assigned(ctx, recorded_year(ctx, answers))
                    if str(item.assignment_id) in chosen and item.is_lead)
        cooperating = len(chosen) - leads
        parts = [ctx.lang._(self.prompt)]
        if leads and cooperating:
            parts.append(ctx.lang._("Lead: {first}–{last}. Cooperating: {next}–{end}.", first=1, last=leads,
                                    next=leads + 1, end=leads + cooperating))
        parts.append(ctx.lang._("Type the number at the start of a line, or the task's code (for example I.2)."))
        return "\n".join(parts)

    def show(self, ctx: Context, answers: Answers, value: Any) -> str:
        """The chosen task as its option reads, from the task alone: the summary does not stand the unit's year."""
        task = task_of(ctx, {**answers, "task": value})
        label = f"{task.code} {task.content}"
        return label if len(label) <= BUTTON_LABEL else label[:BUTTON_LABEL - 1].rstrip() + "…"


def start(ctx: Context, engine: FormEngine, args: str) -> list[Reply]:
    """/capnhat: the progress form, opened on the task named if one is; a unit with nothing to record is told why."""
    if not has_tasks_to_record(ctx):
        return [no_tasks(ctx)]
    return engine.start(ctx, "progress", preset(ctx, args))


def preset(ctx: Context, args: str) -> Answers:
    """`/capnhat III.1` opens the form on that task, if it is one of the unit's in a year the unit may record
    (last year's too while its report is open: what a reminder of it names can be done); a code that two of the
    unit's plans share, or none, leaves the form to ask (the year, then the plan, when there are several)."""
    wanted = fold(args)
    if not wanted:
        return {}
    years = [int(option.value) for option in year_options(ctx, {})]
    found = {(item.assignment_id, item.task.plan_id): year for year in reversed(years)
             for item in unit_assigned(ctx, year) if wanted == fold(item.task.code)}
    if len(found) != 1:
        return {}
    (assignment_id, plan_id), year = next(iter(found.items()))
    chosen = {"plan": str(plan_id), "task": str(assignment_id)}
    return chosen if len(year_options(ctx, chosen)) > 1 else {**chosen, "year": str(year)}


def task_of(ctx: Context, answers: Answers) -> Task:
    return ctx.remember(("task", answers["task"]), lambda: _load_task(ctx, int(answers["task"])))


# Read at nearly every step of the form (its figures make its steps): one statement, built once, its row made
# into a Task once per process.
_TASK = select(*TASK_ROW).join(Assignment, col(Assignment.task_id) == Task.id).where(
    col(Assignment.id) == bindparam("assignment"), col(Assignment.unit_id) == bindparam("unit"))


def _load_task(ctx: Context, assignment_id: int) -> Task:
    row = ctx.session.connection().execute(_TASK, {"assignment": assignment_id, "unit": ctx.unit.id}).first()
    assert row is not None  # the form's answers come from this unit's own list
    return task_from_row(tuple(row))


def figures_of(ctx: Context, answers: Answers) -> list[dict[str, Any]]:
    return list(task_of(ctx, answers).figures) if "task" in answers else []


def save(ctx: Context, answers: Answers) -> list[Reply]:
    task = task_of(ctx, answers)
    figures = {name.split(".", 1)[1]: value for name, value in answers.items()
               if name.startswith("figures.") and value is not None}
    assignment_id, period = int(answers["task"]), str(recorded_year(ctx, answers))
    revised = Ref.from_key(answers.get("revises"))
    returned = in_force(ctx.session, assignment_id, period, ReviewState.RETURNED) if revised is None else None
    update = ProgressUpdate(
        assignment_id=assignment_id, period=period, status=answers["status"],
        percent=answers.get("percent"), result=answers.get("result") or "", figures=figures,
        difficulties=answers.get("difficulties") or "", member_id=ctx.member.id or 0, channel=ctx.channel,
        created_at=ctx.recorded_at,
        resubmits_id=revised.number if revised and revised.is_update else (returned.id if returned else None))
    save_update(ctx.session, update)
    attach(ctx.session, answers.get("files") or [], ctx.member.id or 0, progress_update_id=update.id)
    audit.record(ctx.session, audit.member(ctx.member), "update.saved", f"progress_update:{update.id}",
                 task=task.code, unit=ctx.unit.code, status=update.status, channel=ctx.channel)
    # The answers were just confirmed on the screen above: not repeated.
    return [Reply(ctx.lang._("Saved: update u{id} on task {code} for {year}, at {time}. Sở KH&CN will review "
                             "it; you will be told.", id=update.id, code=task.code, year=update.period,
                             time=ctx.now.strftime("%H:%M ") + ctx.lang.date(ctx.today)))]


BARE_PERCENT = 10  # far past the status list's own numbers (four), so never a slip of the finger for one


@dataclass(frozen=True, kw_only=True)
class StatusStep(Choice):
    """The status, by button, number or words; or a percentage ("60%" with its sign, or a bare number from
    BARE_PERCENT to 99), which says "in progress" and how far in one message. A bare number below that could
    be a slip for a choice's number ("5" beside four choices): it is told the range, never taken as 5 %.
    `percent` names the step the percentage answers (the annual report has one per task)."""

    percent: str = "percent"

    def parse(self, ctx: Context, answers: Answers, text: str) -> Any:
        typed = text.strip()
        number = typed.rstrip("% ").replace(",", ".")
        if number.replace(".", "", 1).isdecimal() and (typed.endswith("%") or BARE_PERCENT <= float(number) < 100):
            percent = PERCENT_STEP.parse(ctx, answers, typed)
            return Together({self.name: Status.IN_PROGRESS, self.percent: percent})
        return super().parse(ctx, answers, text)


PERCENT_STEP = Percent(name="percent", prompt=N_("How far along is it, in percent? For example: 60%"),
                       title=N_("Progress"), when=lambda a: a.get("status") == Status.IN_PROGRESS)

YEAR_STEP = Choice(name="year", prompt=N_("Which year does this report belong to?"), title=N_("Year"),
                   choices=year_options, only_when_several=True)

PROGRESS = Form("progress", on_submit=save, steps=[
    YEAR_STEP,
    Choice(name="plan", prompt=N_("Which plan is it in?"), title=N_("Plan"), choices=plan_options,
           only_when_several=True),
    TaskStep(name="task", prompt=N_("Which task are you reporting on?"), title=N_("Task"), choices=task_options),
    StatusStep(name="status", **{**STATUS_STEP, "prompt": N_(
        "Where does the task stand?\n(In progress: you may type the percentage straight away, e.g. 60%.)")}),
    PERCENT_STEP,
    Text(name="result", prompt=N_("What has been done? A sentence or two (at most 1,000 characters)."),
         title=N_("Result"), max_len=1000, optional=lambda a: a.get("status") not in WORKING),
    Figures(name="figures", figures_of=figures_of, when=lambda a: a.get("status") in WORKING),
    Text(name="difficulties", prompt=N_("Any difficulties or proposals? (optional)"),
         title=N_("Difficulties, proposals"), max_len=1000, optional=True),
    EVIDENCE_STEP,
])
