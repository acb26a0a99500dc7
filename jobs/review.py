"""Where a submission stands in review, the rules every view reads: what awaits Sở KH&CN's review, what a
later submission superseded, which returns are still open. The desk's queue, `/sualai`, the reminders, the
pruning of buttons and `/baocao`'s count all ask here, by row (`awaits_review`, `return_open`) or as queries
over the year (`awaiting`, `returned_submissions`), the same rule either way.

A submission is superseded by a later one of the same task and year (or, for an annual report, of the same
unit and year); only the newest can await review or stand returned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from jobs.refs import Ref
from models import AnnualReport, Assignment, ProgressUpdate, Task
from models.progress import FINISHED, ReviewState

Row = ProgressUpdate | AnnualReport


def awaiting(year: int | None, unit_id: int | None, plan_id: int | None) -> tuple[Any, Any]:
    """The updates and the annual reports awaiting review, as queries. Updates sent with an annual report are
    reviewed with it, not one by one. Within one plan: its tasks' updates, and the annual reports (which cover
    every plan). What a later submission superseded waits no more: only the newest of each task, or of each
    annual report, which the database picks (a national year has 450,000 updates)."""
    newest_update = (select(func.max(ProgressUpdate.id).label("id"))
                     .group_by(ProgressUpdate.assignment_id, ProgressUpdate.period).subquery())
    updates = (select(ProgressUpdate.id, ProgressUpdate.created_at, ProgressUpdate.resubmits_id, Assignment.unit_id,
                      Task.code)
               .join(newest_update, newest_update.c.id == ProgressUpdate.id)
               .join(Assignment, col(Assignment.id) == ProgressUpdate.assignment_id)
               .join(Task, col(Task.id) == Assignment.task_id)
               .where(ProgressUpdate.review_state == ReviewState.PENDING,
                      col(ProgressUpdate.annual_report_id).is_(None),
                      True if year is None else ProgressUpdate.period == str(year),
                      True if unit_id is None else Assignment.unit_id == unit_id,
                      True if plan_id is None else Task.plan_id == plan_id))
    newest_report = (select(func.max(AnnualReport.id).label("id"))
                     .group_by(AnnualReport.unit_id, AnnualReport.period).subquery())
    reports = (select(AnnualReport.id, AnnualReport.created_at, AnnualReport.resubmits_id, AnnualReport.unit_id)
               .join(newest_report, newest_report.c.id == AnnualReport.id)
               .where(AnnualReport.review_state == ReviewState.PENDING,
                      True if year is None else AnnualReport.period == str(year),
                      True if unit_id is None else AnnualReport.unit_id == unit_id))
    return updates, reports


def newer_than(session: Session, row: Row) -> str | None:
    """The reference of a later submission that supersedes this one, if the unit has sent one since (an
    answer sent with an annual report is named by that report, which is what is reviewed)."""
    if isinstance(row, ProgressUpdate):
        newer = session.exec(select(ProgressUpdate).where(
            ProgressUpdate.assignment_id == row.assignment_id, ProgressUpdate.period == row.period,
            col(ProgressUpdate.id) > (row.id or 0)).order_by(col(ProgressUpdate.id).desc())).first()
        if newer is None:
            return None
        return str(Ref.annual(newer.annual_report_id) if newer.annual_report_id else Ref.of(newer))
    newest = session.exec(select(func.max(AnnualReport.id)).where(
        AnnualReport.unit_id == row.unit_id, AnnualReport.period == row.period,
        col(AnnualReport.id) > (row.id or 0))).one()
    return str(Ref.annual(newest)) if newest else None


def awaits_review(session: Session, row: Row) -> bool:
    """Sent, not yet decided, and not superseded by what the unit sent since: what the desk lists (`awaiting` is
    the same rule as queries)."""
    return row.review_state == ReviewState.PENDING and newer_than(session, row) is None


def return_open(session: Session, row: Row) -> bool:
    """Returned, and the unit has not sent its revision yet: what `/sualai` reopens."""
    return row.review_state == ReviewState.RETURNED and newer_than(session, row) is None


def returned_submissions(session: Session, period: str, unit_ids: set[int] | None = None,
                         plan_ids: set[int] | None = None) -> list[tuple[int, str, str, datetime]]:
    """(unit id, task code or "annual", "u12" / "a5", when it was returned) of every return still open: the
    newest update of a task (not sent with an annual report), or the unit's newest annual report, returned.
    `return_open` is the same rule for one submission."""
    newest_update = (select(func.max(ProgressUpdate.id).label("id"))
                     .group_by(ProgressUpdate.assignment_id, ProgressUpdate.period).subquery())
    updates = session.exec(
        select(Assignment.unit_id, Task.code, ProgressUpdate.id, ProgressUpdate.reviewed_at)
        .join(newest_update, newest_update.c.id == ProgressUpdate.id)
        .join(Assignment, col(Assignment.id) == ProgressUpdate.assignment_id)
        .join(Task, col(Task.id) == Assignment.task_id)
        .where(ProgressUpdate.period == period, ProgressUpdate.review_state == ReviewState.RETURNED,
               col(ProgressUpdate.annual_report_id).is_(None),
               True if unit_ids is None else col(Assignment.unit_id).in_(unit_ids),
               True if plan_ids is None else col(Task.plan_id).in_(plan_ids))).all()
    found = [(unit_id, code, str(Ref.update(update_id)), at) for unit_id, code, update_id, at in updates
             if at is not None]
    if plan_ids is not None:
        return found
    newest: dict[int, AnnualReport] = {}
    for report in session.exec(select(AnnualReport).where(
            AnnualReport.period == period, True if unit_ids is None else col(AnnualReport.unit_id).in_(unit_ids))
            .order_by(col(AnnualReport.id))).all():
        newest[report.unit_id] = report
    found += [(r.unit_id, "annual", str(Ref.of(r)), r.reviewed_at) for r in newest.values()
              if r.review_state == ReviewState.RETURNED and r.reviewed_at is not None]
    return found


def finished_awaiting_review(session: Session, period: str, unit_ids: set[int] | None = None) -> set[int]:
    """The assignments whose newest update, still awaiting review, says the task is done (or nothing arose):
    the unit has answered, so it is not reminded while Sở KH&CN reviews — even though the update in force (what
    the standings and figures count) is still an earlier, accepted one."""
    newest = (select(func.max(ProgressUpdate.id).label("id")).where(ProgressUpdate.period == period)
              .group_by(ProgressUpdate.assignment_id).subquery())
    return set(session.exec(
        select(ProgressUpdate.assignment_id).join(newest, newest.c.id == ProgressUpdate.id)
        .join(Assignment, col(Assignment.id) == ProgressUpdate.assignment_id)
        .where(ProgressUpdate.review_state == ReviewState.PENDING, col(ProgressUpdate.status).in_(FINISHED),
               True if unit_ids is None else col(Assignment.unit_id).in_(unit_ids))).all())
