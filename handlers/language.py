"""/ngonngu (/language): each member chooses Vietnamese or English. The plan's own wording stays Vietnamese:
it is the official text."""

from __future__ import annotations

from handlers.machinery.context import Context
from handlers.machinery.messages import Action, Reply
from jobs.text import fold
from locales import lang

NAMES = {"vi": "Tiếng Việt", "en": "English"}
WORDS = {"vi": "vi", "tieng viet": "vi", "viet": "vi", "en": "en", "english": "en", "tieng anh": "en"}


def handle(ctx: Context, args: str) -> list[Reply]:
    chosen = WORDS.get(fold(args))
    if chosen is None:
        return [Reply(ctx.lang._("Language: {name}. Choose:", name=NAMES.get(ctx.member.language, ctx.member.language)),
                      actions=tuple(Action(name, f"/ngonngu {code}") for code, name in NAMES.items()))]
    ctx.member.language = chosen
    ctx.session.add(ctx.member)
    # Said in the new language, so each catalog names its own: "… in English", "… bằng tiếng Việt".
    return [Reply(lang(chosen)._("From now on I will write to you in English."))]
