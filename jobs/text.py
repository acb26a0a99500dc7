"""Folding Vietnamese text for matching: what an officer types on a phone rarely has every diacritic."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ → d), collapse spaces: "Hoàn  Thành" and "hoan thanh" fold alike.
    Remembered: the same labels (tasks, statuses, menus) are folded at every step that reads a typed answer."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped).strip().lower()


def fold_in_place(text: str) -> str:
    """fold() that keeps every character where it was (spaces are not collapsed, each letter stays one), so a
    phrase found in the folded text can be cut out of the original (NFC) text at the same place."""
    return "".join(unicodedata.normalize("NFD", char.replace("đ", "d").replace("Đ", "D"))[0].lower()
                   for char in unicodedata.normalize("NFC", text))
