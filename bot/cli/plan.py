"""`python -m bot plan import|check|load` and `python -m bot plans`: a new plan goes from its Word or Excel
appendix to the bot in three commands, with a person reviewing the draft in between.

    python -m bot plan import ke-hoach-45.docx --output var/plans/ke-hoach-45.yaml   # read, resolve, draft
    python -m bot plan check var/plans/ke-hoach-45.yaml                              # 0 when ready, 2 if not
    python -m bot plan load var/plans/ke-hoach-45.yaml                               # into the database
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot.cli.seed import SeedError, ensure_seeded, load_plan
from bot.settings import Settings
from jobs.text import fold
from locales import Lang
from models import Assignment, Plan, Task, session_scope
from plans.appendix import read
from plans.draft import Resolver, check, draft, write


def add_commands(sub: Any, speak: Lang) -> None:
    plan = sub.add_parser("plan", help=speak._("import a plan's appendix from Word or Excel, check it, load it"))
    actions = plan.add_subparsers(dest="action", metavar="ACTION", required=True)
    reading = actions.add_parser("import", help=speak._("read the appendix table of a .docx or .xlsx into a draft"))
    reading.add_argument("file", metavar="FILE", type=Path, help=speak._("the plan, .docx or .xlsx"))
    reading.add_argument("--output", metavar="DRAFT.yaml", type=Path, help=speak._("where to write the draft"))
    reading.add_argument("--key", help=speak._("a short name for the plan, e.g. ke-hoach-45-2026"))
    reading.add_argument("--number", help=speak._("the plan's number, e.g. 45/KH-UBND"))
    reading.add_argument("--title", help=speak._("the plan's title"))
    reading.add_argument("--issued", type=date.fromisoformat, metavar="YYYY-MM-DD", help=speak._("its issue date"))
    reading.add_argument("--force", action="store_true", help=speak._("replace a draft that exists already"))
    reading.add_argument("--annual-report", metavar="DD/MM", help=speak._(
        "the day units report on the year by, as the plan says \"before dd/mm\" (default: 20/11)"))
    reading.set_defaults(func=cmd_import)
    checking = actions.add_parser("check", help=speak._("check a draft: every unit known, every schedule understood"))
    checking.add_argument("file", metavar="DRAFT.yaml", type=Path)
    checking.set_defaults(func=cmd_check)
    loading = actions.add_parser("load", help=speak._("add a checked plan (or update it; safe to repeat)"))
    loading.add_argument("file", metavar="DRAFT.yaml", type=Path)
    loading.set_defaults(func=cmd_load)
    sub.add_parser("plans", help=speak._("list the plans with their number, title, tasks and units")
                   ).set_defaults(func=cmd_plans)


OLD_FORMATS = {".doc": "Word 97-2003", ".xls": "Excel 97-2003", ".pdf": "PDF", ".odt": "OpenDocument",
               ".ods": "OpenDocument", ".rtf": "RTF"}


def cmd_import(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    refused = _refusal(args.file, speak)
    if refused:
        print(refused, file=sys.stderr)
        return 2
    try:
        appendix = read(args.file, speak)
        text = appendix_text(args.file)
    except Exception:  # noqa: BLE001 (python-docx and openpyxl raise many kinds on a damaged file)
        print(speak._("{file} cannot be read: it may be empty or damaged. Open it in Word or Excel, save it again as "
                      ".docx or .xlsx, and import that.", file=args.file.name), file=sys.stderr)
        return 2
    if not appendix.rows:
        print(speak._("{file}: no table headed STT | Nội dung | … chủ trì | … phối hợp | Thời gian was found.",
                      file=args.file.name), file=sys.stderr)
        where, missing = appendix.closest
        if where and missing:
            print(speak._("The closest, {where}, lacks the columns: {columns}.", where=where,
                          columns=", ".join(missing)), file=sys.stderr)
        return 2
    plan, notes = draft(appendix, Resolver.from_data(), _meta(args, text), speak)
    output = args.output or Path("var/plans") / f"{plan.get('key') or args.file.stem}.yaml"
    if output.exists() and not args.force:  # a draft is edited by hand: never overwritten unasked
        print(speak._("{path} exists already, perhaps edited by hand: give another --output, or --force to replace "
                      "it.", path=output), file=sys.stderr)
        return 2
    output.parent.mkdir(parents=True, exist_ok=True)
    header = speak._("Draft of a plan's appendix, read by `python -m bot plan import`. Settle every `review:` note and "
                     "remove it, add each task's figures if it has any (as in data/plans/ke-hoach-1703-quang-ngai.yaml), "
                     "then: python -m bot plan check FILE && python -m bot plan load FILE")
    write(plan, output, "".join(f"# {line}\n" for line in textwrap.wrap(header, 110)))
    print(speak._("Draft written: {path} — {tasks} tasks in {sections} sections.", path=output,
                  tasks=len(plan["tasks"]), sections=len(plan["sections"])))
    if notes:
        print(speak._("{n} things need review (marked `review:` in the draft):", n=len(notes)))
        for note in notes:
            print(f"  - {note}")
    return 0


def _refusal(path: Path, speak: Lang) -> str:
    """Why the file cannot be imported as it is, in words the admin can act on; empty when it can be tried."""
    if not path.is_file():
        return speak._("{file}: there is no such file.", file=path)
    kind = OLD_FORMATS.get(path.suffix.lower())
    if kind:
        return speak._("{file} is a {kind} file. Open it in Word or Excel (or LibreOffice) and save it as .docx or "
                       ".xlsx, then import that.", file=path.name, kind=kind)
    if path.suffix.lower() not in (".docx", ".xlsx", ".xlsm"):
        return speak._("{file}: give the plan as a .docx or .xlsx file.", file=path.name)
    return ""


def appendix_text(path: Path) -> str:
    """The document's text before its appendix, where the number, date and title are written: the title block
    first (the number and date normally sit in a borderless two-column table above the title), then the
    running text."""
    if path.suffix.lower() != ".docx":
        return ""
    from docx import Document

    document = Document(str(path))
    block = ""
    if document.tables and len(document.tables[0].columns) <= 2 and len(document.tables[0].rows) <= 4:
        block = "\n".join(cell.text for row in document.tables[0].rows for cell in row.cells)
    return block + "\n" + "\n".join(p.text for p in document.paragraphs)


def _meta(args: argparse.Namespace, text: str) -> dict[str, Any]:
    """What the flags say, else what the document's running text says where such plans say it."""
    folded = fold(text)
    number = args.number or _found(r"\bso\s*:\s*([0-9.…]*\s*/\s*kh-[\w-]+)", folded).upper()
    issued = args.issued or _issued(folded)
    title = args.title or _title(text)
    month, day = 11, 20
    written = re.search(r"(\d{1,2})\s*/\s*(\d{1,2})", args.annual_report or "") or re.search(
        r"truoc ngay\s+(\d{1,2})\s*/\s*(\d{1,2})", folded)
    if written:
        day, month = int(written.group(1)), int(written.group(2))
    key = args.key or _key(number, issued)
    return {"key": key, "number": number.replace(" ", "") if number else "", "title": title, "issued_on": issued,
            "annual_report": {"month": month, "day": day}}


def _found(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    return match.group(1).strip() if match else ""


def _issued(text: str) -> date | None:
    match = re.search(r"ngay\s+(\d{1,2})\s+thang\s+(\d{1,2})\s+nam\s+(\d{4})", text)
    try:
        return date(int(match.group(3)), int(match.group(2)), int(match.group(1))) if match else None
    except ValueError:
        return None


TITLE_LINES = 4  # a plan's title is a few lines under "KẾ HOẠCH"; what follows is its body
_BODY = re.compile(r"^(?:can cu|kinh gui|[ivx]+\.|\d+\.|[a-z]\))")


def _title(text: str) -> str:
    """The lines after "KẾ HOẠCH" up to the first empty one, the first of the body ("Căn cứ …", "I. …") or at
    most TITLE_LINES: how an administrative plan states its title, without running into its body."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if fold(line) == "ke hoach":
            title = []
            for following in lines[index + 1:index + 1 + TITLE_LINES]:
                if not following.strip() or _BODY.match(fold(following.strip())):
                    break
                title.append(following.strip())
            return " ".join(title)
    return ""


def _key(number: str, issued: date | None) -> str:
    digits = re.match(r"\d+", number or "")
    return f"ke-hoach-{digits.group()}-{issued.year}" if digits and issued else ""


def cmd_check(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    problems = _problems(args.file, speak)
    if problems:
        print(speak._("{file}: {n} things to fix before loading:", file=args.file, n=len(problems)))
        for problem in problems:
            print(f"  - {problem}")
        return 2
    print(speak._("{file}: ready to load.", file=args.file))
    return 0


def _problems(path: Path, speak: Lang) -> list[str]:
    try:
        plan = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        return [speak._("cannot be read: {error}", error=str(error).splitlines()[0])]
    if not isinstance(plan, dict):
        return [speak._("this is not a plan draft")]
    return check(plan, Resolver.from_data(), speak)


def cmd_load(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    problems = _problems(args.file, speak)
    if problems:
        print(speak._("{file} is not ready: run python -m bot plan check {file}", file=args.file), file=sys.stderr)
        return 2
    ensure_seeded(engine)
    try:
        with session_scope(engine) as session:
            report = load_plan(session, args.file)
    except SeedError as error:
        print(str(error), file=sys.stderr)
        return 2
    print("\n".join(report.lines(speak, speak._("Nothing changed: the database already holds this plan as "
                                                "written."))))
    return 0


def cmd_plans(args: argparse.Namespace, settings: Settings, engine: Engine, speak: Lang) -> int:
    ensure_seeded(engine)
    with Session(engine) as session:
        plans = session.exec(select(Plan).order_by(col(Plan.id))).all()
        for plan in plans:
            tasks = session.exec(select(func.count()).select_from(Task).where(Task.plan_id == plan.id)).one()
            units = session.exec(select(func.count(func.distinct(Assignment.unit_id))).join(
                Task, col(Task.id) == Assignment.task_id).where(Task.plan_id == plan.id)).one()
            print(f"{plan.key}  {plan.number or '—'}  " + speak._("{tasks} tasks, {units} units", tasks=tasks,
                                                                     units=units))
            print(f"    {plan.title[:160]}")
    print(speak._("{n} plans", n=len(plans)))
    return 0
