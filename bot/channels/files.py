"""Files arriving on any channel: stored as evidence before the update is journaled (handlers/evidence.py says
what is kept), so the journal and the conversation see only the file's number, or why it was refused."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.engine import Engine

from handlers.evidence import store
from handlers.messages import Incoming
from models import session_scope


def keep_file(engine: Engine, incoming: Incoming, content: bytes) -> Incoming:
    with session_scope(engine) as session:
        kept = store(session, content, incoming.file_name)
        if isinstance(kept, str):
            return replace(incoming, file_error=kept)
        return replace(incoming, file_id=kept.id or 0, file_name=kept.filename)
