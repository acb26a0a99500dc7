"""One engine runs every form: ask, read, validate, re-ask, go back, skip, cancel, confirm.

The member's place in the form lives in the FormState row and is written after every step, so a restart
of the bot, or a day away from the phone, resumes exactly where the member stopped.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import select

from handlers.machinery.context import Context
from handlers.machinery.evidence import MAX_BYTES, discard
from handlers.machinery.forms.steps import Answers, Choice, Confirm, Files, Form, Invalid, Step, Together
from handlers.machinery.messages import Button, Incoming, InputKind, Reply
from jobs.text import fold
from locales import N_
from models import FormState
from models.db import utcnow


MAX_MB = MAX_BYTES // (1024 * 1024)
SKIP_WORDS = {"khong", "khong co", "ko", "k", "bo qua", "boqua", "skip", "none", "no", "khong co gi"}  # folded
EDIT = "_edit"  # the member picks, from the summary, the answer to change
DONE_WITH_FILES = {"xong", "da xong", "het", "done", "ok xong", "gui xong"}  # folded: "xong" after the photos
FILE_REFUSALS = {  # why a channel did not keep a file (Incoming.file_error)
    "too_big": N_("That file is larger than {limit} MB and was not kept. Please send a smaller one."),
    "type": N_("That kind of file is not accepted (photos, PDF, Word and Excel only); it was not kept."),
    "unreadable": N_("That file could not be received. Please send it again."),
    "unexpected": N_("That file came before this form was open and was not kept. Please send it again."),
}


FORM_STATE = "form_state"  # the member's open form, in the message's context (Context.remember)
_STATE = select(FormState).where(FormState.member_id == bindparam("member"))


def open_form(ctx: Context) -> FormState | None:
    """The member's open form, read once per message (the dispatcher reads it with the member)."""
    return ctx.remember(FORM_STATE, lambda: ctx.session.exec(_STATE, params={"member": ctx.member.id}).first())


class FormEngine:
    def __init__(self, *forms: Form) -> None:
        self.forms = {form.name: form for form in forms}

    def state(self, ctx: Context) -> FormState | None:
        return open_form(ctx)

    def start(self, ctx: Context, name: str, answers: Answers | None = None) -> list[Reply]:
        """Open a form (replacing any the member left open); `answers` pre-fills steps, e.g. the task."""
        old = self.state(ctx)
        if old is not None:
            self._close(ctx, old)
            ctx.session.flush()
        form = self.forms[name]
        answered = [step.name for step in form.flat(ctx, answers or {})  # in the form's order; never a silent one
                    if step.name in (answers or {}) and not step.silent]
        answers, first = self._advance(ctx, form, dict(answers or {}), after=None)
        state = FormState(member_id=ctx.member.id, form=name, step=first.name, answers=answers, history=answered)
        ctx.session.add(state)
        ctx.know(FORM_STATE, state)
        return [self._prompt(ctx, form, state)]

    def resume(self, ctx: Context) -> list[Reply]:
        state = self.state(ctx)
        if state is None:
            return [Reply(ctx.lang._("There is no unfinished form. Type /capnhat to report progress."))]
        return [self._prompt(ctx, self.forms[state.form], state)]

    def cancel(self, ctx: Context) -> list[Reply]:
        state = self.state(ctx)
        if state is None:
            return [Reply(ctx.lang._("There is nothing to cancel."))]
        self._close(ctx, state)
        return [Reply(ctx.lang._("Cancelled. Nothing was saved."))]

    def back(self, ctx: Context) -> list[Reply]:
        state = self.state(ctx)
        if state is None:
            return [Reply(ctx.lang._("There is no unfinished form to go back in."))]
        if not state.history:
            return [Reply(ctx.lang._("This is the first question; there is nothing before it.")),
                    self._prompt(ctx, self.forms[state.form], state)]
        history = list(state.history)
        state.step = history.pop()
        state.history = history
        self._touch(state)
        return [self._prompt(ctx, self.forms[state.form], state)]

    def skip(self, ctx: Context) -> list[Reply]:
        state = self.state(ctx)
        if state is None:
            return [Reply(ctx.lang._("There is no question to skip."))]
        form = self.forms[state.form]
        step = self._current(ctx, form, state)
        if not step.is_optional(state.answers):
            return [Reply(ctx.lang._("This question cannot be skipped.")), self._prompt(ctx, form, state)]
        return self._accept(ctx, form, state, step, None)

    def answer(self, ctx: Context, incoming: Incoming, state: FormState) -> list[Reply]:
        """An answer to the open form's current step (`state`: the member's form, as the dispatcher read it)."""
        form = self.forms[state.form]
        step = self._current(ctx, form, state)
        try:
            if incoming.kind is InputKind.FILE:
                return self._file(ctx, form, state, step, incoming)
            typed = fold(incoming.text).strip(" .!") if incoming.kind is InputKind.TEXT else None
            if typed in DONE_WITH_FILES and not isinstance(step, Confirm) and self._holds_files(ctx, form, state):
                return [self._prompt(ctx, form, state)]  # "xong" after sending files ends them, answers nothing
            if (typed in SKIP_WORDS or incoming.text.strip() == "-") and step.is_optional(state.answers) \
                    and not isinstance(step, Confirm):
                return self._accept(ctx, form, state, step, None)  # "không", "bỏ qua": as /boqua
            value = self._read(ctx, state, step, incoming)
        except Invalid as error:
            return [self._prompt(ctx, form, state, error=ctx.lang._(error.msgid, **error.values))]
        if isinstance(step, Confirm):
            return self._confirm(ctx, form, state, value)
        if step.name == EDIT:  # the answer to change, picked from the summary: asked now, then the summary again
            state.step = value
            self._touch(state)
            return [self._prompt(ctx, form, state)]
        return self._accept(ctx, form, state, step, value)

    # -- inside the engine ------------------------------------------------------------------------------

    @staticmethod
    def _holds_files(ctx: Context, form: Form, state: FormState) -> bool:
        return any(isinstance(s, Files) and state.answers.get(s.name) for s in form.flat(ctx, state.answers))

    def _read(self, ctx: Context, state: FormState, step: Step, incoming: Incoming) -> Any:
        if incoming.kind is InputKind.OTHER:
            raise Invalid(N_("I can only read text here. Please type your answer."))
        if incoming.kind is InputKind.TEXT:
            return step.parse(ctx, state.answers, incoming.text)
        offered = dict((token, value) for token, value in state.offered)
        if incoming.choice not in offered:
            raise Invalid(N_("That button is no longer valid. Please use the buttons below."))
        value = offered[incoming.choice]
        # The meaning of a button is checked again against what this member may choose now.
        if value not in {o.value for o in step.options(ctx, state.answers)}:
            raise Invalid(N_("That choice is not available to you. Please use the buttons below."))
        return step.pressed(ctx, state.answers, value)

    def _file(self, ctx: Context, form: Form, state: FormState, step: Step, incoming: Incoming) -> list[Reply]:
        """A file sent: kept in the answer of a Files step, which stays open for more; refused anywhere else."""
        if incoming.file_error:
            raise Invalid(FILE_REFUSALS.get(incoming.file_error, FILE_REFUSALS["unreadable"]), limit=MAX_MB)
        target = step if isinstance(step, Files) else next(
            (s for s in form.flat(ctx, state.answers) if isinstance(s, Files) and s.applies(state.answers)), None)
        if target is None:
            discard(ctx.session, incoming.file_id)
            raise Invalid(N_("This form takes no files. Please type your answer."))
        files = target.add(ctx, state.answers, incoming.file_id)
        state.answers = {**state.answers, target.name: files}
        self._touch(state)
        name = incoming.file_name or ctx.lang._("file no. {n}", n=len(files))
        received = ctx.lang._("Received {name} ({n} file(s) so far).", name=name, n=len(files))
        if not isinstance(step, (Confirm, Files)):  # a question is open: say the file did not answer it
            received += " " + ctx.lang._("Send more files if you like, then answer the question:")
        return [self._prompt(ctx, form, state, error=received)]

    def _accept(self, ctx: Context, form: Form, state: FormState, step: Step, value: Any) -> list[Reply]:
        given = value.values if isinstance(value, Together) else {step.name: value}
        steps = [s for s in form.flat(ctx, {**state.answers, **given}) if s.name in given]
        answers, following = self._advance(ctx, form, {**state.answers, **given}, after=steps[-1].name)
        state.answers = answers
        state.history = [*state.history, *(s.name for s in steps if not s.silent)]  # /quaylai asks, never a silent one
        state.step = following.name
        self._touch(state)
        return [self._prompt(ctx, form, state)]

    def _confirm(self, ctx: Context, form: Form, state: FormState, value: str) -> list[Reply]:
        if value == "back":
            return self.back(ctx)
        if value == "edit":  # /quaylai from here, or from the answer picked, returns to the summary
            state.history = [*state.history, form.confirm.name]
            state.step = EDIT
            self._touch(state)
            return [self._prompt(ctx, form, state)]
        if value == "cancel":
            return self.cancel(ctx)
        answers = self._final_answers(ctx, form, state.answers)
        self._close(ctx, state)
        return form.on_submit(ctx, answers)

    def _final_answers(self, ctx: Context, form: Form, answers: Answers) -> Answers:
        """Only the answers of steps that still apply: a percent typed before the status changed is dropped."""
        steps = [s for s in form.flat(ctx, answers) if s.applies(answers) and not isinstance(s, Confirm)]
        return {s.name: answers.get(s.name) for s in steps}

    def _current(self, ctx: Context, form: Form, state: FormState) -> Step:
        if state.step == EDIT:
            return Choice(name=EDIT, prompt=N_("Which answer do you change? (type its number)"),
                          choices=lambda c, answers: form.confirm.answered(c, form, answers))
        for step in form.flat(ctx, state.answers):
            if step.name == state.step:
                return step
        return self._next_step(ctx, form, state.answers, after=None)

    def _advance(self, ctx: Context, form: Form, answers: Answers, after: str | None) -> tuple[Answers, Step]:
        """The next step to ask, answering on the way a choice that offers one option only and asks only when
        there are several (the plan, for a unit in one plan): nothing to go back to, nothing to confirm."""
        step = self._next_step(ctx, form, answers, after)
        while isinstance(step, Choice) and step.only_when_several:
            options = step.options(ctx, answers)
            if len(options) != 1:
                break
            answers = {**answers, step.name: options[0].value}
            step = self._next_step(ctx, form, answers, after=step.name)
        return answers, step

    def _next_step(self, ctx: Context, form: Form, answers: Answers, after: str | None) -> Step:
        """The first step after `after` that applies and has no answer yet: a changed answer (after going back,
        or in a form pre-filled with what was returned) leads straight on to what it makes new, or to the
        confirmation, without asking again what still stands."""
        steps = form.flat(ctx, answers)
        names = [s.name for s in steps]
        start = names.index(after) + 1 if after in names else 0
        for step in steps[start:]:
            if step.applies(answers) and step.name not in answers and not step.silent:
                return step
        return form.confirm

    def _prompt(self, ctx: Context, form: Form, state: FormState, error: str = "") -> Reply:
        step = self._current(ctx, form, state)
        parts = [error] if error else []
        if step.intro:
            parts.append(step.intro)
        if isinstance(step, Confirm):
            parts.append(form.summary(ctx, state.answers))
            if form.evidence_hint and any(isinstance(s, Files) and s.silent for s in form.flat(ctx, state.answers)):
                parts.append(ctx.lang._("Evidence: you may send photos or files (PDF, Word, Excel) before saving, "
                                        "up to 10."))
        elif state.answers.get(step.name) is not None:  # back at an answered question: say what stands
            parts.append(ctx.lang._("Current answer: {answer}", answer=step.show(ctx, state.answers,
                                                                             state.answers[step.name])))
        parts.append(step.ask(ctx, state.answers))
        if step.is_optional(state.answers):
            parts.append(ctx.lang._("(To skip this question, type \"không\" or /boqua.)"))
        options = step.options(ctx, state.answers)
        tokens = [secrets.token_urlsafe(6) for _ in options]
        state.offered = [[token, option.value] for token, option in zip(tokens, options)]
        self._touch(state)
        buttons = tuple(Button(token, option.label) for token, option in zip(tokens, options))
        return Reply("\n\n".join(parts), buttons)

    @staticmethod
    def _close(ctx: Context, state: FormState) -> None:
        ctx.session.delete(state)
        ctx.know(FORM_STATE, None)

    @staticmethod
    def _touch(state: FormState) -> None:
        state.updated_at = utcnow()
