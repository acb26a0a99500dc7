"""What is kept, and for how long (Nghị định 13/2023/NĐ-CP: personal data no longer than it is needed).

The inbound journal serves delivery and recovery: handled rows are deleted after TDC_KEEP_DAYS (30 by
default). A sent notice loses its text, its chat and its buttons after as long, but its row stays: its key is
the record that a once-only message (a reminder's stage, the year's task list, a return) went out, and the
daily scan reads it so that nothing is sent twice. Buttons offered that long ago are deleted unless the item
they decide is still undecided (a request waiting, a submission awaiting review, a return still open): those
work until it is decided, as promised. Files that arrived but belong to no submission and to no open form (a
cancelled form, a redelivered update) are deleted after a day. The audit log, the submissions and their files
are the plan's record and are kept for its life. Runs with the daily reminder cycle and as `python -m bot
prune`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from handlers.review.decisions import undecided
from models import EvidenceFile, FormState, InboundUpdate, OfferedChoice, Outbox
from models.db import utcnow
from models.inbound import InboundStatus
from models.outbox import OutboxStatus

log = logging.getLogger("tdc.retention")
ORPHAN_AGE = timedelta(days=1)


@dataclass(frozen=True)
class Pruned:
    journal: int
    outbox: int
    buttons: int
    files: int


def prune(engine: Engine, keep_days: int) -> Pruned:
    before = utcnow() - timedelta(days=keep_days)
    with Session(engine) as session:
        journal = session.exec(delete(InboundUpdate).where(  # type: ignore[call-overload]
            col(InboundUpdate.status).in_([InboundStatus.ANSWERED, InboundStatus.FAILED]),
            col(InboundUpdate.received_at) < before)).rowcount
        outbox = session.exec(update(Outbox).where(  # type: ignore[call-overload]
            col(Outbox.status) != OutboxStatus.PENDING, col(Outbox.created_at) < before,
            (col(Outbox.text) != "") | (col(Outbox.chat_id) != "")).values(text="", chat_id="", buttons=[])).rowcount
        buttons = _old_buttons(session, before)
        files = _orphans(session)
        session.commit()
    pruned = Pruned(int(journal or 0), int(outbox or 0), int(buttons or 0), files)
    log.info("pruned", extra=vars(pruned))
    return pruned


def _old_buttons(session: Session, before: object) -> int:
    """Deletes the buttons offered before `before`, but those of an item still to be decided."""
    old = session.exec(select(OfferedChoice.id, OfferedChoice.item).where(col(OfferedChoice.created_at) < before)).all()
    gone = [choice_id for choice_id, item in old if not (item and undecided(session, item))]
    for start in range(0, len(gone), 500):
        session.exec(delete(OfferedChoice).where(col(OfferedChoice.id).in_(gone[start:start + 500])))  # type: ignore[call-overload]
    return len(gone)


def _orphans(session: Session) -> int:
    """Files tied to no submission, older than a day, that no open form holds."""
    held = {file_id for answers in session.exec(select(FormState.answers)) for file_id in _file_ids(answers)}
    loose = session.exec(select(EvidenceFile.id).where(
        col(EvidenceFile.progress_update_id).is_(None), col(EvidenceFile.annual_report_id).is_(None),
        col(EvidenceFile.received_at) < utcnow() - ORPHAN_AGE)).all()
    gone = [file_id for file_id in loose if file_id not in held]
    for start in range(0, len(gone), 500):
        session.exec(delete(EvidenceFile).where(col(EvidenceFile.id).in_(gone[start:start + 500])))  # type: ignore[call-overload]
    return len(gone)


def _file_ids(answers: dict[str, object]) -> list[int]:
    """The file numbers in a form's answers: a Files step keeps a list of them."""
    return [v for value in answers.values() if isinstance(value, list) for v in value if isinstance(v, int)]
