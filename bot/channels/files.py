"""Files arriving on any channel: stored as evidence before the update is journaled (handlers/machinery/evidence.py says
what is kept), so the journal and the conversation see only the file's number, or why it was refused. A file
nobody's open form can take is not fetched at all (`wanted`)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from handlers.machinery.evidence import expected, store
from handlers.machinery.messages import Incoming
from models import session_scope


def wanted(engine: Engine, incoming: Incoming) -> bool:
    """Whether to fetch the file at all: in a private chat, from a member with a form open."""
    if not incoming.private:
        return False
    try:
        with session_scope(engine) as session:
            return expected(session, incoming.channel, incoming.user_id)
    except SQLAlchemyError:
        return True  # the database is away: fetch it, and keep_file says whether it could be kept


def keep_file(engine: Engine, incoming: Incoming, content: bytes) -> Incoming:
    """The file stored, or why not; while the database is away it is not kept and the person is asked to send
    it again (the message itself waits in the journal's queue like any other)."""
    try:
        with session_scope(engine) as session:
            kept = store(session, content, incoming.cleaned().file_name)
            if isinstance(kept, str):
                return replace(incoming, file_error=kept)
            # The name the person gave, as stored (typed by type); none given stays none: "ảnh thứ 2" is said
            return replace(incoming, file_id=kept.id or 0, file_name=kept.filename if incoming.file_name else "")
    except SQLAlchemyError:
        return replace(incoming, file_error="unreadable")
