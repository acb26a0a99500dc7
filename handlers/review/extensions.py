"""/giahan (/extend): an officer asks for more time on one task — the task, the date asked for, a reason — and
Sở KH&CN's managers grant it (Đồng ý) or refuse it (Từ chối, with a note if they like). A granted extension
moves that unit's deadline for that task this year only (jobs/year.py); reminders follow the new date.

Managers typing /giahan see the requests waiting for them; `/giahan xin` asks for their own unit.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from handlers.machinery import audit
from handlers.machinery.access import Permission, can, refusal
from handlers.assignments import no_tasks, unit_tasks
from handlers.machinery.context import Context
from handlers.machinery.forms import Choice, Date, Form, FormEngine, Option, Text
from handlers.machinery.forms.steps import Answers, Confirm, named_save
from handlers.machinery.menu import offer
from handlers.machinery.messages import Action, Reply
from handlers.machinery.outbox import OutgoingMessage, enqueue
from handlers.review.decisions import decide_once
from jobs.refs import Ref
from jobs.reminders import officers
from jobs.text import fold
from jobs.year import AssignmentYear, local_day
from locales import N_, Lang, lang
from models import Assignment, Extension, Member, Task, Unit
from models.organisation import Role
from models.plan import ExtensionState

REASON_LENGTH = 500
LONGEST_EXTENSION = timedelta(days=730)


def handle(ctx: Context, args: str, engine: FormEngine) -> list[Reply]:
    words = args.split(maxsplit=2)
    verb = fold(words[0]) if words else ""
    if not can(ctx.member, Permission.REVIEW) or verb in ("xin", "ask"):
        if not _extendable(ctx):
            return [Reply(ctx.lang._("{unit} has no deadline this year to extend.", unit=ctx.unit.name))
                    if unit_tasks(ctx) else no_tasks(ctx)]
        return engine.start(ctx, "extension", _preset(ctx, words[1:] if verb in ("xin", "ask") else words))
    number = int(words[1]) if len(words) > 1 and words[1].isdecimal() and len(words[1]) < 12 else None
    if verb in ("dongy", "dong y", "approve") and number is not None:
        return [Reply(decide(ctx, number, ExtensionState.APPROVED, ""))]
    if verb in ("tuchoi", "tu choi", "refuse") and number is not None:
        if len(words) > 2:
            return [Reply(decide(ctx, number, ExtensionState.REFUSED, words[2][:REASON_LENGTH]))]
        request = ctx.session.get(Extension, number)
        if request is None or request.state != ExtensionState.ASKED:
            return [Reply(decide(ctx, number, ExtensionState.REFUSED, ""))]  # says why it cannot be
        return engine.start(ctx, "refusal", {"request": str(number)})
    return waiting_list(ctx)


def _extendable(ctx: Context) -> list[AssignmentYear]:
    return [item for item in unit_tasks(ctx) if item.deadlines]


def _task_options(ctx: Context, answers: Answers) -> list[Option]:
    return [Option(str(item.assignment_id), " · ".join(filter(None, (
        item.task.code, ctx.lang.date(item.due) if item.due else "", _short(item.task.content)))),
        (item.task.code.lower(),)) for item in _extendable(ctx)]


def _short(text: str, length: int = 50) -> str:
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"


def _preset(ctx: Context, words: list[str]) -> dict[str, str]:
    """"/giahan V.1": the task named by its code, when the unit has it to extend."""
    code = fold(words[0]).upper() if words else ""
    found = [item for item in _extendable(ctx) if item.task.code.upper() == code]
    return {"task": str(found[0].assignment_id)} if len(found) == 1 else {}


def _current_due(ctx: Context, answers: Answers) -> date:
    """A new deadline must come after the current one, and after today."""
    chosen = next((i for i in _extendable(ctx) if str(i.assignment_id) == answers.get("task")), None)
    return max(ctx.today, chosen.due) if chosen and chosen.due else ctx.today


def _latest_due(ctx: Context, answers: Answers) -> date:
    """An extension reaches at most two years ahead: a later date is a change of plan, not more time."""
    return ctx.today + LONGEST_EXTENSION


def _ask(ctx: Context, answers: Answers) -> list[Reply]:
    assignment_id = int(answers["task"])
    request = Extension(assignment_id=assignment_id, period=str(ctx.today.year),
                        until=date.fromisoformat(answers["until"]), reason=answers["reason"],
                        asked_by_member_id=ctx.member.id or 0, asked_at=ctx.recorded_at)
    ctx.session.add(request)
    ctx.session.flush()
    task = _task(ctx.session, assignment_id)
    audit.record(ctx.session, audit.member(ctx.member), "extension.asked", f"extension:{request.id}",
                 unit=ctx.unit.code, task=task.code, until=request.until.isoformat())
    messages = []
    for manager in (m for people in officers(ctx.session, role=Role.MANAGER).values() for m in people):
        speak = lang(manager.language)
        text = _request_text(speak, request, task, ctx.unit)
        buttons = offer(ctx.session, manager.member_id, _decide(speak, request), text)
        messages.append(OutgoingMessage(f"extension:{manager.member_id}:{request.id}", "extension", manager.member_id,
                                        manager.channel, manager.chat_id, text, ctx.unit.id or 0, buttons))
    enqueue(ctx.session, messages)
    return [Reply(ctx.lang._("Request no. {id} sent: task {code} until {date}. You will be told Sở KH&CN's answer.",
                             id=request.id, code=task.code, date=ctx.lang.date(request.until)))]


def _request_text(speak: Lang, request: Extension, task: Task, unit: Unit) -> str:
    return speak._("Extension request no. {id}: {unit} asks to report on task {code} by {date}.\nReason: {reason}",
                   id=request.id, unit=unit.name, code=task.code, date=speak.date(request.until),
                   reason=request.reason)


def _unit(session: Session, request: Extension) -> Unit:
    assignment = session.get(Assignment, request.assignment_id)
    unit = session.get(Unit, assignment.unit_id if assignment else 0)
    assert unit is not None
    return unit


def _task(session: Session, assignment_id: int) -> Task:
    assignment = session.get(Assignment, assignment_id)
    task = session.get(Task, assignment.task_id if assignment else 0)
    assert task is not None
    return task


def decide(ctx: Context, number: int, state: ExtensionState, note: str) -> str:
    """Grants or refuses request `number` and tells the officer who asked; says so when it was decided before.
    The decision is one conditional write: of two managers pressing at once (one batch, two processes), one
    changes the row and the other finds it decided and is told by whom, as stored."""
    request = ctx.session.get(Extension, number)
    if request is None:
        return ctx.lang._("There is no extension request no. {id}.", id=number)
    if not decide_once(ctx.session, request, "state", ExtensionState.ASKED, state=state, note=note.strip(),
                       decided_by_member_id=ctx.member.id, decided_at=ctx.recorded_at):
        decider = ctx.session.get(Member, request.decided_by_member_id or 0)
        msgid = (N_("Request no. {id} was already approved by {who} on {date}.")
                 if request.state == ExtensionState.APPROVED else
                 N_("Request no. {id} was already refused by {who} on {date}."))
        return ctx.lang._(msgid, id=number, who=decider.display_name if decider else "?",
                          date=ctx.lang.date(local_day(request.decided_at)) if request.decided_at else "?")
    task = _task(ctx.session, request.assignment_id)
    audit.record(ctx.session, audit.member(ctx.member), f"extension.{state.value}", f"extension:{request.id}",
                 task=task.code, until=request.until.isoformat(), **ctx.decided_through())
    _tell_officer(ctx.session, request, task)
    if state == ExtensionState.REFUSED:
        return ctx.lang._("Refused: request no. {id}; the officer who asked will be told.", id=request.id)
    return ctx.lang._("Approved: task {code} of {unit} is now due {date}.", code=task.code,
                      unit=_unit(ctx.session, request).name, date=ctx.lang.date(request.until))


def _tell_officer(session: Session, request: Extension, task: Task) -> None:
    member = session.get(Member, request.asked_by_member_id)
    if member is None:
        return
    reachable = officers(session, {member.unit_id}, role=None).get(member.unit_id, [])
    for person in (r for r in reachable if r.member_id == member.id):
        speak = lang(person.language)
        if request.state == ExtensionState.APPROVED:
            text = speak._("Sở KH&CN granted your request no. {id}: task {code} is now due {date}; reminders follow "
                           "the new date.", id=request.id, code=task.code, date=speak.date(request.until))
        else:
            text = speak._("Sở KH&CN refused your request no. {id} for task {code}.", id=request.id, code=task.code)
            if request.note:
                text += "\n" + speak._("Note: {note}", note=request.note)
        enqueue(session, [OutgoingMessage(f"extension-decided:{person.member_id}:{request.id}", "extension",
                                          person.member_id, person.channel, person.chat_id, text, member.unit_id)])


def waiting_list(ctx: Context) -> list[Reply]:
    requests = ctx.session.exec(select(Extension).where(Extension.state == ExtensionState.ASKED)
                                .order_by(col(Extension.id))).all()
    if not requests:
        return [Reply(ctx.lang._("No extension request is waiting. (To ask for your own unit: /giahan xin)"))]
    replies = []
    for request in requests[:10]:
        text = _request_text(ctx.lang, request, _task(ctx.session, request.assignment_id), _unit(ctx.session, request))
        replies.append(Reply(text, actions=_decide(ctx.lang, request)))
    return replies


def _decide(speak: Lang, request: Extension) -> tuple[Action, ...]:
    item = str(Ref.extension(request.id or 0))
    return (Action(speak._("Approve"), f"/giahan dongy {request.id}", item),
            Action(speak._("Refuse"), f"/giahan tuchoi {request.id}", item))


def _refuse(ctx: Context, answers: Answers) -> list[Reply]:
    if not can(ctx.member, Permission.REVIEW):  # the role may have changed while the form was open
        return refusal(ctx, Permission.REVIEW)
    return [Reply(decide(ctx, int(answers["request"]), ExtensionState.REFUSED, answers.get("note") or ""))]


def _asked_options(ctx: Context, answers: Answers) -> list[Option]:
    asked = ctx.session.exec(select(Extension.id).where(Extension.state == ExtensionState.ASKED)).all()
    return [Option(str(number), f"#{number}") for number in asked]


EXTENSION = Form("extension", on_submit=_ask, confirm=Confirm(prompt=N_("Send this request to Sở KH&CN?"),
                                                              choices=named_save(N_("Send"))), steps=[
    Choice(name="task", prompt=N_("Which task needs more time?"), title=N_("Task"), choices=_task_options),
    Date(name="until", prompt=N_("Until which day? For example 15/12/2026."), title=N_("New deadline"),
         after=_current_due, latest=_latest_due, working_day=True),
    Text(name="reason", prompt=N_("Why? A sentence or two (at most 500 characters)."), title=N_("Reason"),
         max_len=REASON_LENGTH, min_letters=3),
])

REFUSAL = Form("refusal", on_submit=_refuse, confirm=Confirm(prompt=N_("Refuse the request?"),
                                                             choices=named_save(N_("Refuse"))), steps=[
    Choice(name="request", prompt=N_("Which request?"), title=N_("Request"), choices=_asked_options),
    Text(name="note", prompt=N_("A note for the unit? (optional)"), title=N_("Note"), max_len=REASON_LENGTH,
         optional=True),
])
