"""Chat with the bot in a terminal, as any unit: for trying it out, for the demo, and for tests.

Choices are printed as numbered lines; the member answers with the number or the words, exactly as on a
platform without buttons.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from sqlmodel import select

from bot.channels.text import numbered
from bot.runtime.conversation import Conversation
from handlers.machinery.messages import Incoming, InputKind, Reply
from locales import lang
from models import ChannelAccount, Member, Unit, session_scope

CHANNEL = "console"


def ensure_console_member(conversation: Conversation, unit: Unit) -> str:
    """The console user for a unit, registered directly: whoever runs the CLI already holds the database."""
    external_id = f"console:{unit.code}"
    with session_scope(conversation.engine) as session:
        found = session.exec(select(ChannelAccount).where(
            ChannelAccount.channel == CHANNEL, ChannelAccount.external_id == external_id)).first()
        if found is None:
            member = Member(unit_id=unit.id, role="officer", language=conversation.settings.language,
                            display_name="console")
            session.add(member)
            session.flush()
            session.add(ChannelAccount(member_id=member.id, channel=CHANNEL, external_id=external_id,
                                       chat_id=external_id))
    return external_id


EXPORTS = Path("var") / "exports"


def render(reply: Reply) -> str:
    lines = [reply.text]
    if reply.attachment is not None:  # a terminal shows a file as the place it was written to
        EXPORTS.mkdir(parents=True, exist_ok=True)
        path = EXPORTS / reply.attachment.filename
        path.write_bytes(reply.attachment.content)
        lines.append(f"  → {path}")
    return numbered(Reply("\n".join(lines), reply.buttons), indent="  ")


def run_console(conversation: Conversation, user_id: str, stdin: TextIO | None = None,
                stdout: TextIO | None = None) -> None:
    """Reads the terminal's (or a pipe's) lines until it ends; the streams default to the process's own at the
    time of the call."""
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    speak = lang(conversation.settings.language)
    print(speak._("Console chat. Type /help for commands; Ctrl-D to leave."), file=stdout, flush=True)
    for line in stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        # No update id: a terminal never redelivers, so the journal gives every line an id of its own.
        incoming = Incoming(channel=CHANNEL, chat_id=user_id, user_id=user_id, name="console",
                            kind=InputKind.TEXT, text=text, time=conversation.clock())
        if not stdin.isatty():  # a transcript from a pipe reads better with the question shown
            print(f"> {text}", file=stdout)
        for reply in conversation.handle_sync(incoming):
            print(render(reply), file=stdout)
            print("", file=stdout, flush=True)
