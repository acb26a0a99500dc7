"""The vocabulary that handlers and channel adapters share. No platform type crosses this line."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class InputKind(StrEnum):
    TEXT = "text"  # typed text, commands included
    CHOICE = "choice"  # a button pressed: `choice` holds its opaque id
    FILE = "file"  # a photo or document, already stored by the channel (file_id), or refused (file_error)
    OTHER = "other"  # a sticker, voice note … that the bot cannot read


@dataclass(frozen=True)
class Incoming:
    channel: str
    chat_id: str
    user_id: str
    time: datetime
    kind: InputKind = InputKind.TEXT
    text: str = ""
    choice: str = ""
    name: str = ""
    update_id: str = ""
    file_id: int = 0  # the EvidenceFile the channel stored
    file_name: str = ""
    file_error: str = ""  # why the channel refused the file: "too_big", "type" or "unreadable"; nothing stored

    @property
    def command(self) -> str:
        """"capnhat" for "/capnhat@tdc_bot III.1"; empty when the text is not a command."""
        if self.kind is not InputKind.TEXT or not self.text.startswith("/"):
            return ""
        words = self.text[1:].split(maxsplit=1)  # "/ " alone has no word
        return words[0].split("@", 1)[0].lower() if words else ""

    @property
    def args(self) -> str:
        parts = self.text.split(maxsplit=1)
        return parts[1].strip() if self.command and len(parts) > 1 else ""


@dataclass(frozen=True)
class Button:
    """One choice offered to the member: an inline button on Telegram, a numbered line on Zalo and the
    console. `id` is opaque and meaningful only to the server."""

    id: str
    label: str


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str


@dataclass(frozen=True)
class Action:
    """A button that runs a command as if typed: "/baocao chua". Its command never leaves the server."""

    label: str
    command: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    attachment: Attachment | None = None
    actions: tuple[Action, ...] = field(default_factory=tuple)  # turned into buttons by handlers/menu.py
    # Holds something never to be stored (an invitation code): the journal keeps `stored_as` in its place, so
    # a reply resent after a crash says that instead.
    secret: bool = False
    stored_as: str = ""
