"""The inbound journal's operations (the table is models/inbound.py): record an update before it is
acknowledged, claim it for processing once, keep its replies until they are sent, list what a crash left."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.runtime.process import gone, this_process
from handlers.machinery.messages import Button, Incoming, InputKind, Reply
from models import InboundUpdate
from models.db import upsert_insert_for, utcnow
from models.inbound import InboundStatus

ERROR_LENGTH = 2000
KEPT = ("channel", "chat_id", "user_id", "update_id", "time", "kind")  # of an Incoming, once it is handled


def record(engine: Engine, incoming: Incoming) -> int | None:
    """Stores the update, cleaned and bounded (`Incoming.cleaned`); returns its journal id, or None when this
    update was recorded before (redelivered)."""
    return record_many(engine, [incoming])[0]


def record_many(engine: Engine, incomings: list[Incoming]) -> list[int | None]:
    """`record` for a batch a platform delivered together (Telegram's getUpdates), in one transaction: all are
    stored or none."""
    statement = _recording(engine.dialect.name)
    with engine.begin() as connection:  # on the hot path of every update
        rows = [connection.execute(statement, _values(incoming)).first() for incoming in incomings]
    return [int(row[0]) if row else None for row in rows]


def _values(incoming: Incoming) -> dict[str, Any]:
    incoming = incoming.cleaned()
    update_id = incoming.update_id or uuid.uuid4().hex  # console and tests: every line is new
    return dict(channel=incoming.channel, update_id=update_id, chat_id=incoming.chat_id,
                incoming=to_json(incoming), status=InboundStatus.PENDING, replies=[], error="",
                received_at=utcnow(), handled_by=this_process())


@lru_cache(maxsize=2)
def _recording(dialect: str) -> Any:
    """The journal's INSERT … ON CONFLICT DO NOTHING RETURNING id, built once per database kind."""
    return (upsert_insert_for(dialect, InboundUpdate).on_conflict_do_nothing(index_elements=["channel", "update_id"])
            .returning(col(InboundUpdate.id)))


@dataclass(frozen=True)
class Claimed:
    """A stored update taken for processing: its journal id and what arrived."""

    entry_id: int
    incoming: dict[str, Any]


# Read and written on every update, in the transaction that handles it: statements built once, rows not made
# into ORM objects (bench/inbound.py).
_CLAIM = select(InboundUpdate.incoming).where(
    col(InboundUpdate.id) == bindparam("entry"), col(InboundUpdate.status) == InboundStatus.PENDING).with_for_update()
_FINISH = update(InboundUpdate).where(
    col(InboundUpdate.id) == bindparam("entry"), col(InboundUpdate.status) == InboundStatus.PENDING)


class HandledElsewhere(Exception):
    """Another worker finished this update first: this transaction, and all it did, is rolled back."""


def claim(session: Session, entry_id: int) -> Claimed | None:
    """The update, its row locked until the transaction ends (PostgreSQL), if it still waits to be processed."""
    row = session.connection().execute(_CLAIM, {"entry": entry_id}).first()
    return Claimed(entry_id, row[0]) if row is not None else None


def finish(session: Session, entry: Claimed, status: InboundStatus, replies: list[Reply], error: str = "") -> None:
    """Handled: what the person typed or sent is no longer needed (its effects are stored where they belong)
    and is dropped, invitation codes among it; the replies stay until they are sent.

    One conditional write decides who handled it: on SQLite, where the claim locks nothing, two workers may
    handle one update at once (a recovery beside a slow answer); the second finds it no longer pending and
    raises HandledElsewhere, so its transaction is rolled back and it answers nothing."""
    done = session.connection().execute(_FINISH, {
        "entry": entry.entry_id, "status": status, "replies": [reply_to_json(r) for r in replies],
        "incoming": scrubbed(entry.incoming), "error": error[:ERROR_LENGTH], "processed_at": utcnow()})
    if done.rowcount != 1:
        raise HandledElsewhere(entry.entry_id)


def scrubbed(incoming: dict[str, Any]) -> dict[str, Any]:
    """Only what routing and recovery need: no text, name or file name."""
    return {key: incoming.get(key) for key in KEPT}


_ANSWERED = update(InboundUpdate).where(
    col(InboundUpdate.id).in_(bindparam("entries", expanding=True)), col(InboundUpdate.status) == InboundStatus.DONE
).values(status=InboundStatus.ANSWERED, replies=[])


def mark_answered(engine: Engine, *entry_ids: int) -> None:
    """Their replies went out: nothing is left to send again."""
    with engine.begin() as connection:  # one statement, on the hot path of every update
        connection.execute(_ANSWERED, {"entries": list(entry_ids)})


def keep_unsent(engine: Engine, entry_id: int, replies: list[Reply]) -> None:
    """Only what did not go out stays to be sent again: the person never gets a part twice."""
    with engine.begin() as connection:
        connection.execute(update(InboundUpdate).where(col(InboundUpdate.id) == entry_id)
                           .values(replies=[reply_to_json(r) for r in replies]))


def older_than(engine: Engine, entry_ids: list[int], moment: datetime) -> set[int]:
    with Session(engine) as session:
        return set(session.exec(select(InboundUpdate.id).where(col(InboundUpdate.id).in_(entry_ids),
                                                                col(InboundUpdate.received_at) < moment)).all())


def give_up(engine: Engine, entry_ids: list[int]) -> None:
    """Replies too old to be worth sending: marked failed, their text dropped."""
    with engine.begin() as connection:
        connection.execute(update(InboundUpdate).where(col(InboundUpdate.id).in_(entry_ids))
                           .values(status=InboundStatus.FAILED, replies=[], error="reply not delivered in time"))


def unfinished(engine: Engine, received_before: datetime | None = None,
               live_since: datetime | None = None) -> list[tuple[int, str, str, str]]:
    """(id, status, channel, chat id) of what a crash left: pending updates and done ones whose replies were
    not sent. `received_before` (naive UTC) leaves out what may still be in flight; `live_since` leaves out what
    another live process stored since then and is still answering (a process that starts beside others)."""
    query = (select(InboundUpdate.id, InboundUpdate.status, InboundUpdate.channel, InboundUpdate.chat_id,
                    InboundUpdate.handled_by, InboundUpdate.received_at)
             .where(col(InboundUpdate.status).in_([InboundStatus.PENDING, InboundStatus.DONE]))
             .order_by(col(InboundUpdate.id)))
    if received_before is not None:
        query = query.where(col(InboundUpdate.received_at) < received_before)
    with Session(engine) as session:
        rows = session.exec(query).all()
    me = this_process()
    return [(int(i or 0), str(s), str(c), str(chat)) for i, s, c, chat, holder, received in rows
            if live_since is None or holder in (None, me) or received < live_since or gone(holder)]


def stored_replies(engine: Engine, entry_id: int) -> list[Reply]:
    """The replies of a processed update, to send what a crash or an outage kept from being sent."""
    with Session(engine) as session:
        entry = session.get(InboundUpdate, entry_id)
        assert entry is not None
        return [reply_from_json(r) for r in entry.replies]


def incoming_of(entry: Claimed) -> Incoming:
    data = dict(entry.incoming)
    data["time"] = datetime.fromisoformat(data["time"])
    data["kind"] = InputKind(data["kind"])
    return Incoming(**data)


def to_json(incoming: Incoming) -> dict[str, Any]:
    return {**asdict(incoming), "kind": incoming.kind.value, "time": incoming.time.isoformat()}


def reply_to_json(reply: Reply) -> dict[str, Any]:
    """Text and buttons; a file is not kept (it is made again on request), only its name; a secret reply is
    kept as what it says in its stead."""
    if reply.secret:
        return {"text": reply.stored_as, "choices": []}
    data: dict[str, Any] = {"text": reply.text, "choices": [[c.id, c.label] for c in reply.buttons]}
    if reply.attachment is not None:
        data["file"] = reply.attachment.filename
    return data


def reply_from_json(data: dict[str, Any]) -> Reply:
    return Reply(data["text"], tuple(Button(i, label) for i, label in data["choices"]))
