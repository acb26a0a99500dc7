"""/help: what the bot can do, in the words an officer uses."""

from __future__ import annotations

from handlers.machinery.context import Context
from handlers.machinery.forms.engine import open_form
from handlers.machinery.messages import Reply


def show(ctx: Context, args: str = "") -> list[Reply]:
    if open_form(ctx) is not None:
        return [Reply(ctx.lang._(  # inside a form, only how to go on: the whole help is for later
            "You are filling in a form. Answer the question above, or:\n"
            "/quaylai — go back one question\n/boqua — skip an optional question\n"
            "/huy — cancel the form\n/tiep — see the question again"))]
    return [Reply(ctx.lang._(
        "tdc-bot — reporting on the plan on standards, metrology and quality.\n\n"
        "/nhiemvu — your unit's tasks this year and their deadlines\n"
        "/capnhat — report progress on a task (or /capnhat III.1)\n"
        "/baocaonam — your unit's report on the year: nothing new in one answer, or the tasks with news\n"
        "/nhacnho — the next reminders for your unit\n"
        "/giahan — ask Sở KH&CN for more time on a task\n"
        "/vangmat — going on leave: who receives your reminders meanwhile\n"
        "/tiep — continue an unfinished form\n"
        "/quaylai — go back one question\n"
        "/boqua — skip an optional question\n"
        "/huy — cancel the form\n"
        "/ngonngu — Tiếng Việt / English\n"
        "/help — this help\n"
        "/baocao — (managers) the year's consolidated picture and its files\n"
        "/duyet — (managers) what units sent, 15 to a page: /duyet binh son · /duyet III.2 · /duyet xa; "
        "/duyet u12 opens one; /duyet nhan u12 u13 (or u12-u20) accepts several; /duyet tralai u12 NOTE returns "
        "one; /duyet xlsx and /duyet nhapfile: the review workbook\n"
        "/sukien — (managers) record that an awaited event happened\n"
        "/moi — (administrators) create an invitation code for a unit\n\n"
        "You can answer with the buttons, with a choice's number, or by typing; "
        "Vietnamese without diacritics is understood."))]
