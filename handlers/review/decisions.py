"""The review of what units sent — progress updates and annual reports — by Sở KH&CN's managers: the queue
(oldest first, grouped by unit), one submission shown with its answers, and the two decisions, accept (tiếp
nhận) or return with a note (trả lại), each taken by one conditional write so that it is taken once. The desk
that pages through the queue and decides several at once is handlers/review/desk.py; the workbook round trip
handlers/review/workbook.py; `python -m bot review` runs the same functions.

A return reaches every member of the unit, with one button (a number on Zalo) that reopens the same form
filled with what was sent (handlers/review/returned.py); the revised one comes back to the queue marked as such.

A submission is named by a short reference, everywhere: "u12" for progress update 12, "a5" for annual report 5.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, SQLModel, col, select

from handlers.machinery import audit, evidence
from handlers.machinery.access import Permission, can, refusal
from handlers.machinery.context import Context
from handlers.machinery.forms import Choice, Form, Option, Text
from handlers.machinery.forms.steps import Answers, Confirm, named_save
from handlers.machinery.menu import offer
from handlers.machinery.messages import Action, Reply
from handlers.machinery.outbox import OutgoingMessage, enqueue
from jobs.calendar import CALENDAR
from jobs.policy import DEFAULT_POLICY
from jobs.reminders import officers
from jobs.figures import figure_labels, figure_lines
from jobs.refs import EXTENSION, Ref
from jobs.review import Row, awaiting, awaits_review, newer_than, return_open
from jobs.year import UnitRef, accept_update, local_day, rows_of, status_text, units_by_id
from locales import N_, Lang, lang
from models import AnnualReport, Assignment, EvidenceFile, Extension, Member, ProgressUpdate, Task, Unit
from models.plan import ExtensionState
from models.progress import REVIEW_LABELS, ReviewState

NOTE_LENGTH = 1000


class Refused(Exception):
    """A review that cannot be done, with the reason for the reviewer."""

    def __init__(self, msgid: str, **values: object) -> None:
        super().__init__(msgid)
        self.msgid, self.values = msgid, values


@dataclass(frozen=True)
class Pending:
    ref: str
    unit: UnitRef
    what: str  # a task code, or "annual"
    sent_at: datetime
    resubmission: bool



def parse_ref(text: str) -> str | None:
    """A reference a person typed, as the bot writes it ("U 012" → "u12"); None when it is none."""
    ref = Ref.parse(text)
    return str(ref) if ref else None


def load(session: Session, ref: str) -> Row | None:
    parsed = Ref.parse(ref)
    return session.get(parsed.table, parsed.number) if parsed else None


def queue(session: Session, year: int | None = None, unit_id: int | None = None,
          plan_id: int | None = None) -> list[Pending]:
    """What awaits review, oldest first, grouped by unit (the unit that has waited longest first)."""
    updates_waiting, reports_waiting = awaiting(year, unit_id, plan_id)
    updates = rows_of(session, updates_waiting)
    reports = rows_of(session, reports_waiting)
    units = units_by_id(session)  # every unit: one light read, never a list of thousands of ids
    found = [Pending(str(Ref.update(number)), units[unit], code, sent_at, resubmits is not None)
             for number, sent_at, resubmits, unit, code in updates]
    found += [Pending(str(Ref.annual(number)), units[unit], "annual", sent_at, resubmits is not None)
              for number, sent_at, resubmits, unit in reports]
    first: dict[int, datetime] = {}
    for item in found:
        first[item.unit.id] = min(item.sent_at, first.get(item.unit.id, item.sent_at))
    return sorted(found, key=lambda p: (first[p.unit.id], p.unit.id, p.sent_at, p.ref))


def awaiting_count(session: Session, year: int | None = None, plan_id: int | None = None) -> int:
    """How many submissions `queue` would list, counted by the database."""
    return sum(session.exec(select(func.count()).select_from(query.subquery())).one()
               for query in awaiting(year, None, plan_id))


def undecided(session: Session, item: str) -> bool:
    """Whether the item a button decides still waits for someone: a submission awaiting review or a return
    still open, an extension request not yet answered. Such buttons outlive pruning."""
    ref = Ref.from_key(item)
    if ref is None:
        return False
    if ref.kind == EXTENSION:
        request = session.get(Extension, ref.number)
        return request is not None and request.state == ExtensionState.ASKED
    row = session.get(ref.table, ref.number)
    return row is not None and (awaits_review(session, row) or return_open(session, row))


def reviewable(session: Session, ref: str) -> Row:
    row = load(session, ref)
    if row is None or (isinstance(row, ProgressUpdate) and row.annual_report_id is not None):
        raise Refused(N_("There is no submission {ref} to review."), ref=ref)
    if row.review_state == ReviewState.ACCEPTED:
        raise Refused(N_("Submission {ref} was already accepted by {who} on {date}."), ref=ref, **_decider(session, row))
    newer = newer_than(session, row)
    if newer is not None:
        raise Refused(N_("Submission {ref} has been superseded: the unit sent {newer} since. Review that one."),
                      ref=ref, newer=newer)
    if row.review_state == ReviewState.RETURNED:
        raise Refused(N_("Submission {ref} was already returned by {who} on {date}; the unit is revising it."),
                      ref=ref, **_decider(session, row))
    return row


def _decider(session: Session, row: Row) -> dict[str, object]:
    """Who reviewed a submission and on which day, as a refusal to review it again says."""
    reviewer = session.get(Member, row.reviewed_by_member_id or 0)
    return {"who": reviewer.display_name if reviewer else "python -m bot review",
            "date": local_day(row.reviewed_at).strftime("%d/%m/%Y") if row.reviewed_at else "?"}


def _parts(session: Session, row: Row) -> list[Row]:
    """The rows a review applies to: an update, or an annual report with its own task answers."""
    if isinstance(row, ProgressUpdate):
        return [row]
    return [row, *session.exec(select(ProgressUpdate).where(ProgressUpdate.annual_report_id == row.id))]


def accept(session: Session, ref: str, reviewer: Member | None, at: datetime, how: dict[str, str] | None = None,
           told: Told | None = None) -> Row:
    """`at` is the moment of the review, naive UTC like every stored time; `how` it was decided (a button on
    which message) goes into the audit record. The unit is told at once, or, given `told`, with the rest of
    the act when it sends."""
    row = _take(session, ref, ReviewState.ACCEPTED, reviewer, "", at)
    for part in _parts(session, row)[1:]:
        _mark(part, ReviewState.ACCEPTED, reviewer, "", at)
    for part in _parts(session, row):
        if isinstance(part, ProgressUpdate):
            accept_update(session, part)
    audit.record(session, audit.member(reviewer) if reviewer else audit.CLI, "review.accepted", Ref.of(row).subject,
                 **(how or {}))
    _tell(session, told, local_day(at), ref, row, None)
    return row


def give_back(session: Session, ref: str, note: str, reviewer: Member | None, at: datetime,
              how: dict[str, str] | None = None, told: Told | None = None) -> Row:
    """Returns the submission with the reviewer's note and tells every member of the unit (with `told`, once
    with the rest of the act)."""
    note = note.strip()
    if sum(ch.isalnum() for ch in note) < 3:
        raise Refused(N_("A return needs a note saying what to add or correct."))
    if len(note) > NOTE_LENGTH:
        raise Refused(N_("The note has {length} characters; at most {limit} fit."), length=len(note), limit=NOTE_LENGTH)
    row = _take(session, ref, ReviewState.RETURNED, reviewer, note, at)
    for part in _parts(session, row)[1:]:
        _mark(part, ReviewState.RETURNED, reviewer, note, at)
    session.flush()
    audit.record(session, audit.member(reviewer) if reviewer else audit.CLI, "review.returned", Ref.of(row).subject,
                 note_length=len(note), **(how or {}))
    _tell(session, told, local_day(at), ref, row, note)
    return row


def _tell(session: Session, told: Told | None, today: date, ref: str, row: Row, note: str | None) -> None:
    act = told if told is not None else Told(today)
    act.add(session, ref, row, note)
    if told is None:
        act.send(session)


def decide_once(session: Session, row: SQLModel, column: str, waiting: str, **decided: Any) -> bool:
    """The one way an item is decided (a submission reviewed, an extension answered): a conditional write that
    changes the row only while its state `column` is still `waiting`. The row is re-read either way, so a caller that
    lost the race can say who decided it, and when; True when this call decided it."""
    table = type(row)
    taken = session.execute(update(table).where(col(table.id) == row.id, col(getattr(table, column)) == waiting)
                            .values(**decided).execution_options(synchronize_session=False)).rowcount
    session.refresh(row)
    return bool(taken == 1)


def _take(session: Session, ref: str, state: ReviewState, reviewer: Member | None, note: str, at: datetime) -> Row:
    """The decision on a submission, taken by one conditional write: only a row still awaiting review changes.
    Two reviewers pressing at once (two chats of one batch, two processes) both pass `reviewable`; the
    database lets one write and the other finds the row decided (PostgreSQL re-reads it after the first
    commits; SQLite lets one writer at a time) and is told who decided what, and when."""
    row = reviewable(session, ref)
    if not decide_once(session, row, "review_state", ReviewState.PENDING, review_state=state, review_note=note,
                       reviewed_by_member_id=reviewer.id if reviewer else None, reviewed_at=at):
        reviewable(session, ref)  # decided meanwhile: raises with who decided it
        raise Refused(N_("There is no submission {ref} to review."), ref=ref)
    return row


def _mark(row: Row, state: ReviewState, reviewer: Member | None, note: str, at: datetime) -> None:
    row.review_state, row.review_note = state, note
    row.reviewed_by_member_id, row.reviewed_at = (reviewer.id if reviewer else None), at


def unit_of(session: Session, row: Row) -> Unit:
    if isinstance(row, AnnualReport):
        unit = session.get(Unit, row.unit_id)
    else:
        assignment = session.get(Assignment, row.assignment_id)
        unit = session.get(Unit, assignment.unit_id if assignment else 0)
    assert unit is not None
    return unit


def what(speak: Lang, session: Session, ref: str, row: Row) -> str:
    """"update u12 on task III.1" / "the 2026 annual report (a5)": every item named as the desk names it."""
    if isinstance(row, AnnualReport):
        return speak._("the {year} annual report (a{id})", year=row.period, id=row.id)
    assignment = session.get(Assignment, row.assignment_id)
    task = session.get(Task, assignment.task_id) if assignment else None
    return speak._("update u{id} on task {code}", id=row.id, code=task.code if task else "?")


@dataclass
class Told:
    """What one act decided, gathered so that each unit is told once: a bulk acceptance of a department's
    fifteen updates is one message to each of its members, not fifteen. Each decision adds to it; `send`
    writes the messages, in the act's transaction. A single decision keeps its own words and button."""

    today: date
    decided: dict[int, list[tuple[str, Row, str | None]]] = field(default_factory=dict)  # unit: (ref, row, note)

    def add(self, session: Session, ref: str, row: Row, note: str | None = None) -> None:
        """`note` None: accepted; a note: returned with it."""
        self.decided.setdefault(unit_of(session, row).id or 0, []).append((ref, row, note))

    def send(self, session: Session) -> None:
        due = DEFAULT_POLICY.resubmit_by(self.today, CALENDAR)
        messages = []
        for unit_id, items in self.decided.items():
            unit = session.get(Unit, unit_id)
            assert unit is not None
            first = f"{items[0][0]}+{len(items) - 1}" if len(items) > 1 else items[0][0]
            kind = "returned" if any(note is not None for _, _, note in items) else "accepted"
            for member in officers(session, {unit_id}, role=None).get(unit_id, []):
                speak = lang(member.language)
                text, actions = _tidings(speak, session, unit, items, due)
                buttons = offer(session, member.member_id, actions, text) if actions else ()
                messages.append(OutgoingMessage(f"{kind}:{member.member_id}:{first}", kind, member.member_id,
                                                member.channel, member.chat_id, text, unit_id, buttons))
        enqueue(session, messages)
        self.decided.clear()


def _tidings(speak: Lang, session: Session, unit: Unit, items: list[tuple[str, Row, str | None]],
             due: date) -> tuple[str, tuple[Action, ...]]:
    """The words of one act to one member: one decision as it always read, several listed, each return with
    its note and a button to revise it."""
    if len(items) == 1:
        ref, row, note = items[0]
        if note is None:
            return speak._("Sở KH&CN accepted {what} of {unit}.", what=what(speak, session, ref, row),
                           unit=unit.name), ()
        return (speak._("Sở KH&CN returned {what} of {unit}, asking: \"{note}\"\nPlease revise it and send it "
                        "again by {date}.", what=what(speak, session, ref, row), unit=unit.name, note=note,
                        date=speak.date(due)),
                (Action(speak._("Revise and send again"), f"/sualai {ref}", ref),))
    lines = [speak._("Sở KH&CN reviewed {n} reports of {unit}.", n=len(items), unit=unit.name)]
    accepted = [what(speak, session, ref, row) for ref, row, note in items if note is None]
    returned = [(ref, row, note) for ref, row, note in items if note is not None]
    if accepted:
        lines.append(speak._("Accepted:") + "".join(f"\n• {said}" for said in accepted))
    if returned:
        lines.append(speak._("Returned, to revise and send again by {date}:", date=speak.date(due)) + "".join(
            "\n• " + speak._("{what}: \"{note}\"", what=what(speak, session, ref, row), note=note)
            for ref, row, note in returned))
    return "\n".join(lines), tuple(Action(speak._("Revise {ref}", ref=ref), f"/sualai {ref}", ref)
                                   for ref, _, _ in returned)


def describe(speak: Lang, session: Session, ref: str, row: Row) -> str:
    """The submission as the reviewer reads it: who, what, when, and every answer."""
    unit = unit_of(session, row)
    author = session.get(Member, row.member_id)
    head = speak._("{unit} — {what}, sent {time} by {who} via {channel}.", unit=unit.name,
                   what=what(speak, session, ref, row), time=speak.date(local_day(row.created_at)),
                   who=author.display_name if author else "?", channel=row.channel)
    lines = [head]
    if row.resubmits_id is not None:
        lines.append(speak._("A revision of {ref}, which was returned.", ref=str(Ref(Ref.of(row).kind, row.resubmits_id))))
    if isinstance(row, AnnualReport):
        for part in _parts(session, row)[1:]:
            lines.append(_answer(speak, session, part, with_task=True))
        if row.difficulties:
            lines.append(speak._("Difficulties: {text}", text=row.difficulties))
        if row.proposals:
            lines.append(speak._("Proposals: {text}", text=row.proposals))
    else:
        lines.append(_answer(speak, session, row, with_task=False))
    files = evidence.files_of(session, **_owner(row))
    if files:
        lines.append(speak._("Documents attached: {files}", files=", ".join(
            f"{f.filename} ({evidence.size_text(f.size)})" for f in files)))
    if row.review_state != ReviewState.PENDING:
        lines.append(speak._("Review: {state}", state=speak._(REVIEW_LABELS[row.review_state]))
                     + (f" — {row.review_note}" if row.review_note else ""))
    return "\n".join(lines)


def _owner(row: Row) -> dict[str, int | None]:
    return {"annual_report_id": row.id} if isinstance(row, AnnualReport) else {"progress_update_id": row.id}


def files_of(session: Session, ref: str) -> list[EvidenceFile]:
    row = load(session, ref)
    return evidence.files_of(session, **_owner(row)) if row is not None else []


def _answer(speak: Lang, session: Session, update: Row, with_task: bool) -> str:
    assert isinstance(update, ProgressUpdate)
    assignment = session.get(Assignment, update.assignment_id)
    task = session.get(Task, assignment.task_id if assignment else 0)
    status = status_text(speak, update.status, update.percent)
    parts = [f"{task.code}: {status}" if with_task and task else speak._("Status: {status}", status=status)]
    if update.result:
        parts.append(speak._("Result: {text}", text=update.result))
    parts += figure_lines(update.figures, figure_labels(task), speak.number)
    if update.difficulties:
        parts.append(speak._("Difficulties: {text}", text=update.difficulties))
    return ("• " if with_task else "") + ("; " if with_task else "\n").join(parts)


# -- the conversation -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """The queue a reviewer is going through: every plan's, or one plan's (its key leads each button's command)."""

    plan_id: int | None = None
    prefix: str = ""


def act(ctx: Context, action: Callable[[], Row], done: str, ref: str, scope: Scope = Scope()) -> list[Reply]:
    try:
        row = action()
    except Refused as refused:
        return [Reply(ctx.lang._(refused.msgid, **refused.values))]
    return [Reply(ctx.lang._(done, what=what(ctx.lang, ctx.session, ref, row))), *show_next(ctx, scope, after=ref)]


def show_next(ctx: Context, scope: Scope = Scope(), after: str | None = None) -> list[Reply]:
    waiting = queue(ctx.session, plan_id=scope.plan_id)
    refs = [p.ref for p in waiting]
    if after in refs:
        waiting = waiting[refs.index(after) + 1:] or waiting[:refs.index(after)]
    if not waiting:
        return [Reply(ctx.lang._("Nothing awaits review."))]
    return show(ctx, waiting[0].ref, scope, len(refs))


def show(ctx: Context, ref: str, scope: Scope = Scope(), waiting: int | None = None) -> list[Reply]:
    row = load(ctx.session, ref)
    if row is None or (isinstance(row, ProgressUpdate) and row.annual_report_id is not None):
        return [Reply(ctx.lang._("There is no submission {ref} to review.", ref=ref))]
    count = awaiting_count(ctx.session, plan_id=scope.plan_id) if waiting is None else waiting
    text = ctx.lang._("Awaiting review: {n}.", n=count) + "\n\n" + describe(ctx.lang, ctx.session, ref, row)
    see = (Action(ctx.lang._("See the files"), f"/baocao tep {ref}"),) if files_of(ctx.session, ref) else ()
    if row.review_state != ReviewState.PENDING:
        return [Reply(text, actions=see)]
    return [Reply(text, actions=(Action(ctx.lang._("Accept"), f"/duyet {scope.prefix}nhan {ref}", ref),
                                 Action(ctx.lang._("Return"), f"/duyet {scope.prefix}tralai {ref}", ref),
                                 Action(ctx.lang._("Later"), f"/duyet {scope.prefix}sau {ref}", ref), *see))]


def decision(ctx: Context, ref: str) -> list[Reply]:
    """After the files of a submission still to review, its accept/return buttons again, for a reviewer."""
    row = load(ctx.session, ref) if ref else None
    if row is None or row.review_state != ReviewState.PENDING or not can(ctx.member, Permission.REVIEW):
        return []
    return [Reply(ctx.lang._("Accept or return {what}?", what=what(ctx.lang, ctx.session, ref, row)),
                  actions=(Action(ctx.lang._("Accept"), f"/duyet nhan {ref}", ref),
                           Action(ctx.lang._("Return"), f"/duyet tralai {ref}", ref)))]


def _pending_options(ctx: Context, answers: Answers) -> list[Option]:
    return [Option(p.ref, f"{p.ref} · {p.unit.name} · {p.what}") for p in queue(ctx.session)]


def _return(ctx: Context, answers: Answers) -> list[Reply]:
    if not can(ctx.member, Permission.REVIEW):  # the role may have changed while the form was open
        return refusal(ctx, Permission.REVIEW)
    ref = answers["submission"]
    return act(ctx, lambda: give_back(ctx.session, ref, answers["note"], ctx.member, ctx.recorded_at,
                                              ctx.decided_through()),
                N_("Returned to the unit: {what}."), ref)


RETURN = Form("return", on_submit=_return, confirm=Confirm(prompt=N_("Return it with this note?"),
                                                           choices=named_save(N_("Return"))), steps=[
    Choice(name="submission", prompt=N_("Which submission?"), title=N_("Submission"), choices=_pending_options),
    Text(name="note", prompt=N_("What should the unit add or correct? This note goes to them (at most 1,000 "
                                "characters)."), title=N_("Note"), max_len=NOTE_LENGTH, min_letters=3),
])
