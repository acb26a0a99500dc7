"""Cutting long texts for platforms with a message limit, and writing choices as numbered lines for the
platforms without buttons (console, Zalo)."""

from __future__ import annotations

from handlers.machinery.messages import Reply


def split_text(text: str, limit: int) -> list[str]:
    """Pieces under the platform's limit, cut at paragraph, then line, then word boundaries."""
    pieces: list[str] = []
    rest = text or " "
    while len(rest) > limit:
        window = rest[:limit]
        cut = next((at for at in (window.rfind(sep) for sep in ("\n\n", "\n", " ")) if at > limit // 2), limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return pieces


def numbered(reply: Reply, indent: str = "") -> str:
    """The reply's text with its choices as "1. Đã hoàn thành" lines: answered by number or by words."""
    choices = [f"{indent}{n}. {choice.label}" for n, choice in enumerate(reply.buttons, start=1)]
    return "\n".join([reply.text, *choices])
