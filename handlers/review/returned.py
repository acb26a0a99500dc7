"""/sualai u12 (/revise): a unit reopens what Sở KH&CN returned, the same form filled with what it sent, so
the officer changes only what was asked and saves; the revision goes back to Sở KH&CN's queue."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from handlers.annual import SOME_NEWS
from handlers.assignments import unit_tasks
from handlers.machinery.context import Context
from handlers.machinery.forms import FormEngine
from handlers.machinery.messages import Action, Reply
from handlers.progress import WORKING
from handlers.review.decisions import files_of, load, parse_ref, unit_of, what
from jobs.refs import Ref
from jobs.review import return_open, returned_submissions
from models import AnnualReport, Assignment, ProgressUpdate, Task


def handle(ctx: Context, args: str, engine: FormEngine) -> list[Reply]:
    """/sualai alone opens the unit's returned submission (or lists them, when several); "/sualai 12" takes
    the number as the bot writes it ("cập nhật số 12"), "/sualai u12" and "/sualai a5" the references."""
    if not args.strip():
        waiting = [found for year in (ctx.today.year - 1, ctx.today.year)  # December's returns revised in January
                   for found in returned_submissions(ctx.session, str(year), {ctx.unit.id or 0})]
        if not waiting:
            return [Reply(ctx.lang._("{unit} has no report returned by Sở KH&CN to revise.", unit=ctx.unit.name))]
        if len(waiting) > 1:
            return [Reply(ctx.lang._("Sở KH&CN returned {n} reports of {unit}. Which one do you revise?",
                                     n=len(waiting), unit=ctx.unit.name),
                          actions=tuple(Action(_label(ctx, ref, code), f"/sualai {ref}", ref)
                                        for _, code, ref, _ in sorted(waiting, key=lambda w: w[3])))]
        args = waiting[0][2]
    typed = args.strip().removeprefix("#")
    ref = parse_ref(typed) or (str(Ref.update(int(typed))) if typed.isdecimal() and len(typed) < 12 else None)
    row = load(ctx.session, ref) if ref else None
    if ref is None or row is None or unit_of(ctx.session, row).id != ctx.unit.id:
        return [Reply(ctx.lang._("There is no returned report {ref} of your unit. The message that returned it has "
                                 "the button to press.", ref=args[:20]))]
    if not return_open(ctx.session, row):
        said = what(ctx.lang, ctx.session, ref, row)
        return [Reply(ctx.lang._("{what} is no longer waiting to be revised.", what=said[:1].upper() + said[1:]))]
    note = Reply(ctx.lang._("Sở KH&CN's note: \"{note}\"\nYour answers are filled in: choose \"Change an answer\" "
                            "and the one to change, answer it, then save.", note=row.review_note))
    if isinstance(row, ProgressUpdate):
        assignment = ctx.session.get(Assignment, row.assignment_id)
        task = ctx.session.get(Task, assignment.task_id if assignment else 0)
        form, answers = "progress", progress_answers(row, task.figures if task else [])
        answers["plan"] = str(task.plan_id if task else "")
    else:
        form, answers = "annual", annual_answers(ctx, row)
    sent = [f.id for f in files_of(ctx.session, ref)]  # they come along; the officer may send more
    # The revision belongs to the year of what it revises, whatever the day it is sent.
    return [note, *engine.start(ctx, form, {**answers, "files": sent or None, "year": row.period, "revises": ref})]


def _label(ctx: Context, ref: str, code: str) -> str:
    if code == "annual":
        return ctx.lang._("The annual report ({ref})", ref=ref)
    return ctx.lang._("Task {code} ({ref})", code=code, ref=ref)


def progress_answers(update: ProgressUpdate, figures: list[dict[str, Any]]) -> dict[str, Any]:
    """The /capnhat form's answers as the update gave them; a figure not given then stands skipped."""
    answers: dict[str, Any] = {"task": str(update.assignment_id), "status": update.status,
                               "result": update.result or None, "difficulties": update.difficulties or None}
    if update.percent is not None:
        answers["percent"] = update.percent
    answers.update({f"figures.{figure['key']}": update.figures.get(figure["key"]) for figure in figures})
    return answers


def annual_answers(ctx: Context, report: AnnualReport) -> dict[str, Any]:
    """The /baocaonam form's answers as the report gave them: every task it answered is picked again with its
    answers filled in, so the revision carries every answer, not only the corrected ones; the tasks it kept
    stay kept."""
    sent = {u.assignment_id: u for u in ctx.session.exec(
        select(ProgressUpdate).where(ProgressUpdate.annual_report_id == report.id))}
    answers: dict[str, Any] = {"scope": SOME_NEWS, "rest": [], "difficulties": report.difficulties or None,
                               "proposals": report.proposals or None}
    news = []
    for item in unit_tasks(ctx, int(report.period)):
        update = sent.get(item.assignment_id)
        if update is None:
            continue  # kept as it stood, or added since
        prefix = f"t{item.assignment_id}"
        news.append(str(item.assignment_id))
        answers[f"{prefix}.status"] = update.status
        if update.status in WORKING:
            answers[f"{prefix}.result"] = update.result or None
        if update.percent is not None:
            answers[f"{prefix}.percent"] = update.percent
        answers.update({f"{prefix}.fig.{key}": value for key, value in update.figures.items()})
    answers["news"] = news
    return answers
