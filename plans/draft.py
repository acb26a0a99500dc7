"""From an appendix read off a document (plans/appendix.py) to a draft in exactly the format of
data/plans/*.yaml, and the checks a draft must pass before it is loaded.

Cells are kept as written. Who a cell names is resolved against the units (names and aliases) and the group
phrases of data/units/groups.yaml, without regard to case or diacritics; "relevant" bodies name nobody.
Whatever a cell names that none of these covers, and every schedule the parser does not understand, is
listed with its row and written into the draft under `review:` — never guessed. `plan check` refuses a draft
while any `review` note remains.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from plans.appendix import Appendix
from plans.units import COMMUNE_PREFIXES, DATA_DIR, read_units
from jobs.schedule import NotUnderstood, Rule, RuleKind, parse_schedule
from jobs.text import fold, fold_in_place
from locales import Lang

FILLER = {"", "va", "cac", "cung", "voi", "khac"}
NARROWED = "narrowed"  # a group narrowed by "liên quan": nobody, and a note for the reviewer
KEY = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


@dataclass(frozen=True)
class Resolver:
    patterns: tuple[tuple[str, str | None], ...]  # (folded phrase, unit code / "group:key" / None), longest first
    units: frozenset[str]
    groups: frozenset[str]

    @classmethod
    def from_data(cls, data_dir: Path = DATA_DIR) -> Resolver:
        declared = yaml.safe_load((data_dir / "units" / "groups.yaml").read_text(encoding="utf-8"))
        found: dict[str, str | None] = {}
        for unit in read_units(data_dir):
            if unit["kind"] in COMMUNE_PREFIXES:  # "UBND xã Bình Sơn", "Xã Bình Sơn": never a bare "Bình Sơn"
                names = [unit["name"], unit["aliases"][0]]
            else:
                names = [unit["name"], *unit["aliases"]]
            names += [name.replace(" và ", " & ") for name in names if " và " in name]  # "Giáo dục & Đào tạo"
            found.update({fold(name): unit["code"] for name in names if len(fold(name)) >= 3})
        for key, spec in declared["groups"].items():
            found.update({fold(phrase): f"group:{key}" for phrase in [spec["name"], *spec.get("phrases", [])]})
        found.update({fold(phrase): None for phrase in declared.get("nobody", [])})
        found.update({fold(phrase): NARROWED for phrase in declared.get("narrowed", [])})
        ordered = tuple(sorted(found.items(), key=lambda item: -len(item[0])))
        return cls(ordered, frozenset(u["code"] for u in read_units(data_dir)),
                   frozenset(declared["groups"]))

    def resolve(self, cell: str) -> tuple[list[str], list[str]]:
        """(who the cell names, in order — NARROWED where a group's words are narrowed by "liên quan"; the parts
        of it that name no one known, as written)."""
        original = _each_named(unicodedata.normalize("NFC", cell))
        text = fold_in_place(original)
        hits: list[tuple[int, str]] = []
        for phrase, ref in self.patterns:
            for match in re.finditer(rf"(?<!\w){re.escape(phrase)}(?!\w)", text):
                if ref is not None:
                    hits.append((match.start(), ref))
                text = text[:match.start()] + "\x00" * len(phrase) + text[match.end():]
        refs: list[str] = []
        for _, ref in sorted(hits):
            if ref not in refs:
                refs.append(ref)
        return refs, _leftovers(original, text)

    def known(self, ref: str) -> bool:
        return ref[6:] in self.groups if ref.startswith("group:") else ref in self.units


_LIST_OF_DEPARTMENTS = re.compile(r"các sở\s*:\s*([^;.\n]+)", re.IGNORECASE)


def _each_named(cell: str) -> str:
    """"Các Sở: Tài chính, Nội vụ, Y tế" → "Sở Tài chính, Sở Nội vụ, Sở Y tế": each department by its name."""
    return _LIST_OF_DEPARTMENTS.sub(lambda m: ", ".join(
        f"Sở {part.strip()}" for part in re.split(r",|\bvà\b", m.group(1)) if part.strip()), cell)


def _leftovers(original: str, masked: str) -> list[str]:
    found = []
    for span in re.finditer(r"[^\x00;\n]+", masked):
        words = re.sub(r"[^\w\s]", " ", span.group()).split()
        if set(words) - FILLER:
            found.append(original[span.start():span.end()].strip(" ,.;:-–"))
    return found


def draft(appendix: Appendix, resolver: Resolver, meta: dict[str, Any],
          speak: Lang) -> tuple[dict[str, Any], list[str]]:
    """The plan as data, and what needs review (also written into the draft)."""
    notes = list(appendix.problems)
    tasks = []
    for row in appendix.rows:
        code = f"{row.section}.{row.number}"
        task: dict[str, Any] = {"section": row.section, "number": row.number, "content": _cell(row.cells["content"])}
        review: list[str] = []
        for column in ("lead", "cooperating"):
            text = _cell(row.cells.get(column, ""))
            refs, unknown = resolver.resolve(text)
            task[column], task[f"{column}_units"] = text, [ref for ref in refs if ref != NARROWED]
            label = speak._("lead") if column == "lead" else speak._("cooperating")
            review += [speak._("{column}: \"{part}\" matches no unit or group. If it is a body the plan binds, add "
                               "it to data/units/provincial.yaml (code, kind, name), run python -m bot seed, and "
                               "import again", column=label, part=part) for part in unknown]
            if NARROWED in refs:
                review.append(speak._("{column}: \"relevant\" bodies are named by nobody: name those the plan "
                                      "means, or remove this note to leave them out", column=label))
        schedule = _cell(row.cells["schedule"])
        parsed = parse_schedule(schedule)
        task["schedule"] = schedule
        if isinstance(parsed, NotUnderstood):
            task["schedule_rules"] = []
            review.append(_not_understood(speak, schedule))
        else:
            task["schedule_rules"] = [rule.as_dict() for rule in parsed]
            task["schedule_dates"] = dates_text(speak, parsed)  # what the reviewer checks the rules against
        if not task["lead_units"]:
            review.append(speak._("no lead unit: name one, or write no_lead: true if the plan truly gives none"))
        task["figures"] = []
        if review:
            task["review"] = review
            notes += [f"{row.where} ({code}) — {note}" for note in review]
        tasks.append(task)
    plan = {**meta, "sections": appendix.sections, "tasks": tasks}
    missing = [name for name in ("key", "number", "title", "issued_on") if not plan.get(name)]
    if missing:
        plan["review"] = [speak._("missing: {fields} (write them into the file, or give --{flag})",
                                  fields=", ".join(missing), flag=missing[0].replace("_", "-"))]
        notes += plan["review"]
    return plan, notes


def _cell(text: str) -> str:
    """A cell as written, its lines joined: the line breaks of a table cell are layout, not meaning."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def write(plan: dict[str, Any], path: Path, header: str) -> None:
    body = yaml.safe_dump(plan, allow_unicode=True, sort_keys=False, width=118, default_flow_style=None)
    path.write_text(header + body, encoding="utf-8")


def check(plan: dict[str, Any], resolver: Resolver, speak: Lang) -> list[str]:
    """Everything that keeps the draft from being loaded, each naming where it is."""
    whole = speak._("the plan")
    problems = [f"{whole}: {note}" for note in plan.get("review", [])]
    if not KEY.match(str(plan.get("key", ""))):
        problems.append(f"{whole}: " + speak._("key: lower-case letters without diacritics, digits and hyphens, "
                                               "e.g. ke-hoach-12-2026"))
    if not str(plan.get("title", "")).strip():
        problems.append(f"{whole}: " + speak._("the title is missing"))
    if not isinstance(as_date(plan.get("issued_on")), date):
        problems.append(f"{whole}: " + speak._("issued_on must be a date, YYYY-MM-DD"))
    sections = {str(s.get("number")) for s in plan.get("sections", [])}
    seen: set[str] = set()
    for task in plan.get("tasks", []):
        code = f"{task.get('section')}.{task.get('number')}"
        problems += [f"{code}: {note}" for note in task.get("review", [])]
        if code in seen:
            problems.append(f"{code}: " + speak._("this number is used twice"))
        seen.add(code)
        if str(task.get("section")) not in sections:
            problems.append(f"{code}: " + speak._("section {section} is not among the sections",
                                                  section=task.get("section")))
        for ref in task.get("lead_units", []) + task.get("cooperating_units", []):
            if not resolver.known(str(ref)):
                problems.append(f"{code}: " + speak._("there is no unit or group {ref}", ref=ref))
        if not task.get("lead_units") and task.get("no_lead") is not True:  # a task nobody is held to
            problems.append(f"{code}: " + speak._("no lead unit: name one, or write no_lead: true if the plan truly "
                                                  "gives none"))
        problems += [f"{code}: {p}" for p in _schedule_problems(task, speak)]
        problems += [f"{code}: {p}" for p in _figure_problems(task.get("figures") or [], speak)]
        problems += [f"{code}: {p}" for p in _years_problems(task.get("years"), speak)]
    if not plan.get("tasks"):
        problems.append(f"{whole}: " + speak._("no task"))
    return list(dict.fromkeys(problems))  # each once: a review note and a check may say the same


def as_date(value: Any) -> date | None:
    """A date as YAML gives it, or as it is written in quotes ('2025-09-15')."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _not_understood(speak: Lang, text: str) -> str:
    return speak._("the schedule \"{text}\" is not understood: write its schedule_rules by hand (the text stays "
                   "as written)", text=text)


def dates_text(speak: Lang, rules: tuple[Rule, ...]) -> str:
    """"31/12/2025; hằng năm 30/6": the deadlines the rules give, as the reviewer reads them."""
    shown = []
    for rule in rules:
        if rule.kind is RuleKind.ONCE and rule.due:
            shown.append(rule.due.strftime("%d/%m/%Y"))
        elif rule.kind is RuleKind.YEARLY:
            shown.append(speak._("every year {day}/{month}", day=f"{rule.day:02d}", month=f"{rule.month:02d}"))
        else:
            shown.append(speak._("the annual report") if rule.kind is RuleKind.ANNUAL else speak._("after an event"))
    return "; ".join(shown)


def _schedule_problems(task: dict[str, Any], speak: Lang) -> list[str]:
    """Rules the text gives, or rules written by hand for a text the parser does not read."""
    written = [_rule_dict(r) for r in task.get("schedule_rules") or []]
    parsed = parse_schedule(str(task.get("schedule", "")))
    if isinstance(parsed, NotUnderstood):
        if written and all(_valid_rule(rule) for rule in written):
            return []  # written by hand: taken as they are
        return [_not_understood(speak, str(task.get("schedule", "")))]
    if [rule.as_dict() for rule in parsed] != written:
        return [speak._("schedule_rules do not say what \"{text}\" says ({dates})", text=task.get("schedule"),
                        dates=dates_text(speak, parsed))]
    return []


def _valid_rule(rule: dict[str, Any]) -> bool:
    try:
        Rule.from_dict(rule)
    except (KeyError, TypeError, ValueError):
        return False
    return True


def _rule_dict(rule: dict[str, Any]) -> dict[str, Any]:
    due = rule.get("due")
    return {**rule, "due": due.isoformat()} if isinstance(due, date) else rule


def _years_problems(years: Any, speak: Lang) -> list[str]:
    """`years: {from: 2026, until: 2028}`: either or both, each a year, in order."""
    if years is None:
        return []
    bounds = [years.get(key) for key in ("from", "until")] if isinstance(years, dict) else [None, None, None]
    if (not isinstance(years, dict) or set(years) - {"from", "until"} or not any(b is not None for b in bounds)
            or not all(b is None or isinstance(b, int) and 2000 <= b <= 2100 for b in bounds)
            or None not in bounds and bounds[0] > bounds[1]):
        return [speak._("years: write from and until as years, the first not after the second, for example "
                        "years: {from: 2026}")]
    return []


def _figure_problems(figures: list[dict[str, Any]], speak: Lang) -> list[str]:
    problems, keys = [], set()
    for figure in figures:
        key = figure.get("key")
        if not key or not figure.get("label"):
            problems.append(speak._("every figure needs a key and a label"))
        if key in keys:
            problems.append(speak._("figure {key} is declared twice", key=key))
        keys.add(key)
        if figure.get("kind", "count") not in ("count", "percent", "money"):
            problems.append(speak._("figure {key}: kind must be count, percent or money", key=key))
        if figure.get("target") is not None and not isinstance(figure["target"], (int, float)):
            problems.append(speak._("figure {key}: the target must be a number", key=key))
        if figure.get("target_by") is not None and not (isinstance(figure["target_by"], int)
                                                        and 2000 <= figure["target_by"] <= 2100):
            problems.append(speak._("figure {key}: target_by must be a year", key=key))
    return problems
