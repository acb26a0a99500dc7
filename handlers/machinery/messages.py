"""The vocabulary that handlers and channel adapters share. No platform type crosses this line."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

TEXT_LIMIT = 10_000  # longer than any platform sends (Telegram 4,096, Zalo 2,000): a forged update is cut
NAME_LIMIT = 200
ID_LIMIT = 64
_UNSEEN = {"Cc", "Cf", "Cs", "Co", "Cn"}  # controls, bidi overrides, lone surrogates, private and unassigned


def clean_text(text: str, limit: int = TEXT_LIMIT, lines: bool = True) -> str:
    """What a person sent, safe to store and to show: no NUL (PostgreSQL refuses it), no other control
    character, no right-to-left override that disguises a file's name, no lone surrogate; NFC; at most
    `limit` characters. Line breaks and tabs stay where `lines`."""
    kept = "".join(ch for ch in unicodedata.normalize("NFC", text)
                   if (lines and ch in "\n\t") or unicodedata.category(ch) not in _UNSEEN)
    return kept[:limit]


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
    private: bool = True  # a one-to-one chat with the bot; False in a group, where the bot only points away

    def cleaned(self) -> Incoming:
        """Every text field bounded and cleaned (`clean_text`), as it is stored in the journal."""
        return replace(self, text=clean_text(self.text), choice=clean_text(self.choice, ID_LIMIT, lines=False),
                       name=clean_text(self.name, NAME_LIMIT, lines=False).strip(),
                       chat_id=clean_text(self.chat_id, ID_LIMIT, lines=False),
                       user_id=clean_text(self.user_id, ID_LIMIT, lines=False),
                       update_id=clean_text(self.update_id, ID_LIMIT, lines=False),
                       file_name=clean_text(self.file_name, NAME_LIMIT, lines=False).strip())

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
    """A button that runs a command as if typed: "/baocao chua". Its command never leaves the server. `item`
    names what the button decides ("u12", jobs/refs.py), so that it keeps working until that is decided."""

    label: str
    command: str
    item: str = ""


@dataclass(frozen=True)
class Deferred:
    """A file that takes a while to make (a national year's workbook takes a minute): the reply says it is on
    its way, and the bot's side makes it off the conversation's path, in a process of its own, and sends it."""

    kind: str  # "xlsx", "docx" or "png"
    year: int
    today: date
    language: str
    plan_ids: tuple[int, ...] = ()  # none: every plan
    scope: str = ""  # the plan's key, when one
    since: int = 0  # a period's first year (its last is `year`); 0: the one year


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    attachment: Attachment | None = None
    actions: tuple[Action, ...] = field(default_factory=tuple)  # turned into buttons by handlers/machinery/menu.py
    # Holds something never to be stored (an invitation code): the journal keeps `stored_as` in its place, so
    # a reply resent after a crash says that instead.
    secret: bool = False
    stored_as: str = ""
    later: Deferred | None = None  # a file to make and send after this reply
