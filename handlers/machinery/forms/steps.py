"""The kinds of step a form is made of. A step knows how to ask, how to read an answer and how to show it.

Parsing is forgiving of phone typing ("50", "50%", "50 %"; "hoan thanh" for "Hoàn thành"; a choice's
number) and strict about meaning: a wrong answer raises Invalid with a message for the member.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date as date_type
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from babel.numbers import NumberFormatError, parse_decimal

from handlers.machinery.evidence import claim, discard
from jobs.calendar import CALENDAR
from jobs.text import fold
from locales import N_
from models import EvidenceFile

if TYPE_CHECKING:
    from handlers.machinery.context import Context
    from handlers.machinery.messages import Reply

Answers = dict[str, Any]


class Invalid(Exception):
    """An answer the step cannot accept; `msgid` and `values` say why, in the member's language."""

    def __init__(self, msgid: str, **values: object) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.values = values


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    keys: tuple[str, ...] = ()  # other words that pick it: a task's code, a status's short form


@dataclass(frozen=True, kw_only=True)
class Step:
    name: str
    prompt: str  # msgid
    title: str = ""  # msgid of the line that shows this answer in the summary
    optional: bool | Callable[[Answers], bool] = False
    when: Callable[[Answers], bool] | None = None
    intro: str = ""  # shown above the question (already in the member's language): which task, what was said
    title_prefix: str = ""  # before the title in the summary, where several steps share a title
    silent: bool = False  # never asked: filled by what the member sends while the form is open (files)
    listed: bool = True  # shown in the summary; not a record kept beside the answers

    def applies(self, answers: Answers) -> bool:
        return self.when is None or self.when(answers)

    def is_optional(self, answers: Answers) -> bool:
        return self.optional(answers) if callable(self.optional) else self.optional

    def ask(self, ctx: Context, answers: Answers) -> str:
        return ctx.lang._(self.prompt)

    def heading(self, ctx: Context, answers: Answers) -> str:
        return self.title_prefix + ctx.lang._(self.title or self.prompt)

    def options(self, ctx: Context, answers: Answers) -> list[Option]:
        return []

    def parse(self, ctx: Context, answers: Answers, text: str) -> Any:
        raise NotImplementedError

    def show(self, ctx: Context, answers: Answers, value: Any) -> str:
        return str(value)

    def pressed(self, ctx: Context, answers: Answers, value: str) -> Any:
        """The answer a button of this step gives (its option's value)."""
        return value


OptionSource = Sequence[tuple[str, str]] | Callable[["Context", Answers], list[Option]]


@dataclass(frozen=True, kw_only=True)
class Choice(Step):
    """Pick one of a list, by button, by number or by (part of) its words, with or without diacritics."""

    choices: OptionSource = ()
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # value → extra words (folded)
    only_when_several: bool = False  # one option is taken without asking, and not shown in the summary
    whole: bool = False  # a choice that decides: taken by its number or all its words, never a part (pick)

    def options(self, ctx: Context, answers: Answers) -> list[Option]:
        if callable(self.choices):
            return self.choices(ctx, answers)
        return [Option(value, ctx.lang._(msgid), self.aliases.get(value, ())) for value, msgid in self.choices]

    def parse(self, ctx: Context, answers: Answers, text: str) -> str:
        return pick(self.options(ctx, answers), text, self.whole)

    def show(self, ctx: Context, answers: Answers, value: Any) -> str:
        labels = {o.value: o.label for o in self.options(ctx, answers)}
        return labels.get(value, str(value))


@dataclass(frozen=True, kw_only=True)
class Picks(Choice):
    """Several of a list at once, typed as their numbers or keys ("2, 5", "I.3 III.1", "1-3"); a button picks
    one. The answer is the values, in the list's order."""

    def parse(self, ctx: Context, answers: Answers, text: str) -> list[str]:
        options = self.options(ctx, answers)
        parts = [part for part in re.split(r"[,;\s]+|\bva\b|\band\b", fold(text)) if part]
        chosen: set[str] = set()
        for part in parts:
            span = re.fullmatch(r"(\d{1,4})-(\d{1,4})", part)
            if span and int(span.group(1)) <= int(span.group(2)):
                chosen.update(pick(options, str(n)) for n in range(int(span.group(1)), int(span.group(2)) + 1))
            else:
                chosen.add(pick(options, part))
        if not chosen:
            raise Invalid(N_("Please type the numbers of the tasks, separated by commas, for example: 2, 5."))
        return [o.value for o in options if o.value in chosen]

    def pressed(self, ctx: Context, answers: Answers, value: str) -> list[str]:
        return [value]

    def show(self, ctx: Context, answers: Answers, value: Any) -> str:
        labels = {o.value: o.label.split(" ", 1)[0] for o in self.options(ctx, answers)}
        return ", ".join(labels.get(v, str(v)) for v in value)


class OnlyPart(Invalid):
    """A typed answer that is only part of a choice's words where a choice decides something: asked back."""


def pick(options: Sequence[Option], text: str, whole: bool = False) -> str:
    """The value of the option a typed answer names: its number in the list, its words or a key (with or
    without diacritics), or a part of its words that no other option shares. Every list of choices shown as
    numbered lines, in a form or a menu, is read here. `whole`: where a choice decides something (accept,
    return, send, apply…), only its number or all its words pick it; "tiếp" (as in "tiếp tục") never accepts
    "Tiếp nhận", it is asked back."""
    typed = fold(text).strip(" .")
    keyed = [o for o in options if typed in o.keys]
    if typed.isdecimal() and keyed:  # a number that is an option's own key names it ("2026" among the years)
        return keyed[0].value
    if typed.isdecimal() and len(typed) <= 4:  # not "²", which isdigit() but int() refuses
        index = int(typed)
        if 1 <= index <= len(options):
            return options[index - 1].value
        raise Invalid(N_("Please choose a number from 1 to {n}."), n=len(options))
    exact = [o for o in options if typed in {fold(o.label), *map(fold, o.keys)}]
    if exact:
        return exact[0].value
    partial = [o for o in options if len(typed) >= 3 and typed in fold(o.label)]
    if whole and partial:
        raise OnlyPart(N_("\"{text}\" is only part of a choice here. Press a button, or type its number or all of "
                          "its words."), text=text.strip()[:40])
    if len(partial) == 1:
        return partial[0].value
    raise Invalid(N_("I could not tell which one you mean. Press a button or type its number."))


_PERCENT = re.compile(r"^\s*(\d{1,3}(?:[.,]\d+)?)\s*%?\s*$")


@dataclass(frozen=True)
class Together:
    """One typed answer that answers this step and others after it: "60%" at the status is "in progress" and
    60 % at once, one message fewer on a phone. The engine takes every value, in the form's order."""

    values: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class Percent(Step):
    def parse(self, ctx: Context, answers: Answers, text: str) -> float | int:
        match = _PERCENT.match(text)
        if not match:
            raise Invalid(N_("Please type a percentage as a number from 0 to 100, for example 60%."))
        value = float(match.group(1).replace(",", "."))
        if not 0 <= value <= 100:
            raise Invalid(N_("A percentage must be between 0 and 100; you typed {value}."), value=match.group(1))
        return int(value) if value.is_integer() else value

    def show(self, ctx: Context, answers: Answers, value: Any) -> str:
        return f"{ctx.lang.number(value)}%"


@dataclass(frozen=True, kw_only=True)
class Number(Step):
    """A count or an amount. Vietnamese grouping ("15.000.000") and a trailing unit ("3 lớp") are accepted."""

    unit: str = ""
    minimum: int = 0
    maximum: int | None = None
    whole: bool = True

    def parse(self, ctx: Context, answers: Answers, text: str) -> int | float:
        digits = _strip_unit(text, self.unit)
        try:
            value = _parse_number(digits, ctx.lang.code)
        except ValueError:
            raise Invalid(N_("Please type a number, for example 3.")) from None
        if self.whole and value != value.to_integral_value():
            raise Invalid(N_("Please type a whole number, for example 3."))
        if value < self.minimum or (self.maximum is not None and value > self.maximum):
            raise Invalid(N_("The number must be between {low} and {high}."),
                          low=self.minimum, high=self.maximum if self.maximum is not None else "∞")
        return int(value) if value == value.to_integral_value() else float(value)

    def show(self, ctx: Context, answers: Answers, value: Any) -> str:
        return f"{ctx.lang.number(value)} {self.unit}".strip()


def _strip_unit(text: str, unit: str) -> str:
    match = re.match(r"^\s*([-+]?[\d.,\s]*\d)\s*(.*?)\s*$", text)
    if not match or (match.group(2) and fold(match.group(2)) not in {fold(unit), "%"}):
        return text
    return match.group(1).replace(" ", "")


LARGEST = Decimal(10) ** 15  # a thousand trillion: more than any count or amount in đồng a unit reports


def _parse_number(text: str, locale: str) -> Decimal:
    # Officers write "1.500" for fifteen hundred whatever the language setting, so Vietnamese rules go first.
    for loc in dict.fromkeys(("vi", locale)):
        try:
            value = parse_decimal(text.strip(), locale=loc, strict=True)
        except (NumberFormatError, InvalidOperation):
            continue
        if value.is_finite() and abs(value) <= LARGEST:  # "NaN", "Infinity" and "1e308" are not figures
            return value
    raise ValueError(text)


_DATE = re.compile(r"^\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2}|\d{4}))?\s*$")


@dataclass(frozen=True, kw_only=True)
class Date(Step):
    """A day, written as officials write it: 15/12/2026, 15-12-2026, 15.12.26, or 15/12 for this year. It must
    come after `after(ctx, answers)` when that is given (a new deadline after the current one, say)."""

    after: Callable[["Context", Answers], date_type] | None = None
    latest: Callable[["Context", Answers], date_type] | None = None  # every date a person types is bounded
    working_day: bool = False  # a deadline falls on a working day: a Sunday is said so, with the next one

    def parse(self, ctx: Context, answers: Answers, text: str) -> str:
        value = self._read(ctx, answers, text)
        if self.working_day and not CALENDAR.is_working_day(value):
            following = CALENDAR.on_or_after(value)
            raise Invalid(N_("{date} is not a working day (a weekend or a public holiday). The next working day is "
                             "{next}: type it, or another working day."), date=ctx.lang.date(value),
                          next=ctx.lang.date(following))
        return value.isoformat()  # stored in the form's JSON as text

    def _read(self, ctx: Context, answers: Answers, text: str) -> date_type:
        match = _DATE.match(text)
        if not match:
            raise Invalid(N_("Please write a date as dd/mm/yyyy, for example 15/12/2026."))
        day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
        year_number = ctx.today.year if year is None else int(year) + (2000 if len(year) == 2 else 0)
        try:
            value = date_type(year_number, month, day)
        except ValueError:
            raise Invalid(N_("That date does not exist. Write it as dd/mm/yyyy.")) from None
        earliest = self.after(ctx, answers) if self.after else None
        if earliest is not None and value <= earliest:
            raise Invalid(N_("The date must be after {date}."), date=ctx.lang.date(earliest))
        latest = self.latest(ctx, answers) if self.latest else None
        if latest is not None and value > latest:
            raise Invalid(N_("The date can be {date} at the latest."), date=ctx.lang.date(latest))
        return value

    def show(self, ctx: Context, answers: Answers, value: Any) -> str:
        return ctx.lang.date(date_type.fromisoformat(value))


@dataclass(frozen=True, kw_only=True)
class Text(Step):
    max_len: int = 1000
    min_letters: int = 0  # a reason or a note must say something: "." is not one

    def parse(self, ctx: Context, answers: Answers, text: str) -> str:
        if not text.strip():
            raise Invalid(N_("The answer is empty. Please type a few words."))
        if sum(ch.isalnum() for ch in text) < self.min_letters:
            raise Invalid(N_("Please say it in a few words: this goes to the other side as it is."))
        if "\x00" in text:  # no phone keyboard types it, and PostgreSQL cannot store it in text
            raise Invalid(N_("That answer contains a null character, which cannot be stored. Please type it again."))
        if len(text) > self.max_len:
            raise Invalid(N_("That answer has {length} characters; at most {limit} fit here. Please shorten it."),
                          length=ctx.lang.number(len(text)), limit=ctx.lang.number(self.max_len))
        return text  # stored exactly as typed: it is the unit's own wording

    def show(self, ctx: Context, answers: Answers, value: Any) -> str:
        return value if len(value) <= 300 else value[:300] + "…"


@dataclass(frozen=True, kw_only=True)
class Files(Step):
    """Documents as evidence: the files the member sends while the form is open (the engine gives each to
    `add`), shown in the summary to confirm. Never asked as a question of its own — one question fewer for
    the many who send none; the confirmation says files may be sent. The answer is the files' ids."""

    max_files: int = 10
    silent: bool = True

    def parse(self, ctx: Context, answers: Answers, text: str) -> list[int]:
        raise Invalid(N_("Please send a photo or a file."))

    def add(self, ctx: Context, answers: Answers, file_id: int) -> list[int]:
        held = list(answers.get(self.name) or [])
        if len(held) >= self.max_files:
            discard(ctx.session, file_id)
            raise Invalid(N_("At most {n} files fit in one report; this one was not kept."), n=self.max_files)
        if claim(ctx.session, file_id, ctx.member.id or 0) is None:
            raise Invalid(N_("That file could not be kept. Please send it again."))
        return [*held, file_id]

    def show(self, ctx: Context, answers: Answers, value: Any) -> str:
        names = [row.filename for row in (ctx.session.get(EvidenceFile, i) for i in value or []) if row]
        return ctx.lang._("{n} file(s): {names}", n=len(names), names=", ".join(names)) if names else "—"


def named_save(label: str) -> OptionSource:
    """A confirmation's choices with the act named ("Trả lại", "Từ chối", "Gửi") where "Lưu" would mislead."""
    return (("save", label), ("edit", N_("Change an answer")), ("cancel", N_("Cancel")))


@dataclass(frozen=True, kw_only=True)
class Confirm(Choice):
    """The last step: the summary, then save, go back or cancel."""

    name: str = "confirm"
    whole: bool = True  # saving, sending, returning, applying: decided by all of a choice's words only
    prompt: str = N_("Save this update?")
    choices: OptionSource = (("save", N_("Save")), ("edit", N_("Change an answer")), ("cancel", N_("Cancel")))
    aliases: dict[str, tuple[str, ...]] = field(default_factory=lambda: {
        "save": ("co", "ok", "dong y", "xac nhan", "luu", "yes"),
        "edit": ("sua", "chinh sua", "doi", "edit", "change"),
        "back": ("quay lai", "back", "go back"),  # not a button any more, still understood typed
        "cancel": ("huy", "khong", "no"),
    })

    def parse(self, ctx: Context, answers: Answers, text: str) -> str:
        if fold(text).strip(" .") in self.aliases.get("back", ()):
            return "back"
        return super().parse(ctx, answers, text)

    def answered(self, ctx: Context, form: Form, answers: Answers) -> list[Option]:
        """The answers the member may go back to, from the summary: one option each, "Kết quả: Đã tập huấn…"."""
        found = []
        for step in form.flat(ctx, answers):
            if isinstance(step, Confirm) or step.silent or not step.applies(answers) or step.name not in answers:
                continue
            if isinstance(step, Choice) and step.only_when_several and len(step.options(ctx, answers)) < 2:
                continue
            value = answers[step.name]
            shown = ctx.lang._("(skipped)") if value is None else step.show(ctx, answers, value)
            label = f"{step.heading(ctx, answers)}: {shown}"
            found.append(Option(step.name, label if len(label) <= 60 else label[:59] + "…",
                                (fold(step.heading(ctx, answers)),)))
        return found


class StepGroup:
    """Steps that depend on earlier answers or on the database, expanded when the form runs."""

    def expand(self, ctx: Context, answers: Answers) -> list[Step]:
        raise NotImplementedError


@dataclass(frozen=True)
class Figures(StepGroup):
    """A placeholder for the figures a task declares in the plan data: one number step per figure."""

    name: str
    figures_of: Callable[["Context", Answers], list[dict[str, Any]]]
    when: Callable[[Answers], bool] | None = None

    def expand(self, ctx: Context, answers: Answers) -> list[Step]:
        if self.when is not None and not self.when(answers):
            return []
        return figure_steps(self.name, self.figures_of(ctx, answers))


def figure_steps(prefix: str, figures: list[dict[str, Any]], when: Callable[[Answers], bool] | None = None,
                 title_prefix: str = "") -> list[Step]:
    return [FigureStep(name=f"{prefix}.{f['key']}", prompt="", figure=f, optional=True, when=when,
                       title_prefix=title_prefix) for f in figures]


@dataclass(frozen=True, kw_only=True)
class FigureStep(Number):
    figure: dict[str, Any]

    def __post_init__(self) -> None:
        kind = self.figure.get("kind", "count")
        object.__setattr__(self, "unit", self.figure.get("unit", ""))
        object.__setattr__(self, "whole", kind == "count")
        object.__setattr__(self, "maximum", 100 if kind == "percent" else None)

    def ask(self, ctx: Context, answers: Answers) -> str:
        target = self.figure.get("target")
        if target is None:
            return ctx.lang._("{label} ({unit})? Type a number.", label=self.figure["label"], unit=self.unit)
        return ctx.lang._("{label} ({unit})? The plan's target is {target}. Type a number.",
                          label=self.figure["label"], unit=self.unit, target=ctx.lang.number(target))

    def heading(self, ctx: Context, answers: Answers) -> str:
        return f"{self.title_prefix}{self.figure['label']}"


@dataclass(frozen=True)
class Form:
    name: str
    steps: Sequence[Step | StepGroup]
    on_submit: Callable[["Context", Answers], list["Reply"]]
    confirm: Confirm = field(default_factory=Confirm)
    evidence_hint: bool = True  # the confirmation says photos and files may be sent (its Files step is evidence)

    def flat(self, ctx: Context, answers: Answers) -> list[Step]:
        """The steps as they stand for these answers: groups expanded, the confirm step last.

        A group is expanded from the answers of the steps that still apply before it: an answer given, then
        made moot by going back and changing an earlier one, expands nothing.
        """
        live = dict(answers)
        flat: list[Step] = []
        for step in self.steps:
            expanded = step.expand(ctx, live) if isinstance(step, StepGroup) else [step]
            for one in expanded:
                if not one.applies(live):
                    live.pop(one.name, None)
            flat.extend(expanded)
        return [*flat, self.confirm]

    def summary(self, ctx: Context, answers: Answers) -> str:
        """The answers as the member will confirm them, one line per question that applies."""
        lines = [ctx.lang._("Your answers:")]
        for step in self.flat(ctx, answers):
            if isinstance(step, Confirm) or not step.applies(answers) or step.name not in answers or not step.listed:
                continue
            if isinstance(step, Choice) and step.only_when_several and len(step.options(ctx, answers)) < 2:
                continue
            value = answers[step.name]
            shown = ctx.lang._("(skipped)") if value is None else step.show(ctx, answers, value)
            lines.append(f"• {step.heading(ctx, answers)}: {shown}")
        return "\n".join(lines)
