"""What the commands share in reading their arguments: a bounded number, a unit by its code, a plan by its
key (each refused on standard error with where to look, so the command returns 2)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from sqlmodel import Session, select

from locales import Lang
from models import Plan, Unit


def bounded(speak: Lang, least: int, most: int) -> Callable[[str], int]:
    """An argparse type: a whole number from `least` to `most`, anything else refused with the range."""
    def number(text: str) -> int:
        value = int(text) if text.strip().lstrip("-").isdecimal() and len(text) < 12 else None
        if value is None or not least <= value <= most:
            raise argparse.ArgumentTypeError(speak._("{value} is not a number from {least} to {most}", value=text,
                                                     least=least, most=most))
        return value
    return number


def plan_keyed(session: Session, key: str, speak: Lang) -> Plan | None:
    plan = session.exec(select(Plan).where(Plan.key == key)).first()
    if plan is None:
        print(speak._("No plan has the key {key}. See: python -m bot plans", key=key), file=sys.stderr)
    return plan


def unit_coded(session: Session, code: str, speak: Lang) -> Unit | None:
    unit = session.exec(select(Unit).where(Unit.code == code)).first()
    if unit is None:
        print(speak._("No unit has the code {code}. See: python -m bot units", code=code), file=sys.stderr)
    return unit
