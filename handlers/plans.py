"""Naming a plan in a command: `/baocao ke-hoach-12-2026 …`, `/duyet 12/KH-UBND …` narrow to that plan."""

from __future__ import annotations

from sqlmodel import Session, select

from jobs.text import fold
from models import Plan


def plan_named(session: Session, words: str) -> tuple[Plan | None, str]:
    """The plan the first word names (by its key or its number), and the rest of the words."""
    first, _, rest = fold(words).partition(" ")
    for plan in session.exec(select(Plan)).all():
        if first and first in (fold(plan.key), fold(plan.number)):
            return plan, words.split(maxsplit=1)[1] if " " in words.strip() else ""
    return None, words
