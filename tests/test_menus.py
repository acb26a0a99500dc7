"""Every list of choices shown as numbered lines can be answered by its number or its words, menus included:
on the console and over the fake Zalo API, where most commune officers are."""

from __future__ import annotations

import io

from sqlalchemy.engine import Engine

from bot.channels.console import run_console
from bot.runtime.conversation import Conversation
from bot.settings import Settings
from models.organisation import Role
from tests.conftest import NOW, add_member
from tests.fake_zalo import FakeZalo
from tests.test_zalo import Phone, polling


def console(engine: Engine, settings: Settings, user_id: str, *lines: str) -> list[str]:
    """The console's answer to each line, in order (a transcript from a pipe echoes every line as "> …")."""
    out = io.StringIO()
    run_console(Conversation(engine, settings, clock=lambda: NOW), user_id, io.StringIO("\n".join(lines) + "\n"), out)
    return [answer.split("\n", 1)[1].strip() for answer in out.getvalue().split("\n> ")[1:]]


def test_the_language_menu_answered_by_number_on_the_console(engine: Engine, settings: Settings) -> None:
    add_member(engine, "21040", 1, channel="console", name="console")
    menu, chosen, english = console(engine, settings, "1", "/ngonngu", "2", "/nhiemvu")
    assert menu.endswith("Ngôn ngữ: Tiếng Việt. Chọn:\n  1. Tiếng Việt\n  2. English")
    assert chosen.endswith("From now on I will write to you in English.")
    assert "Tasks of UBND xã Bình Sơn in 2025" in english


def test_a_number_off_the_menu_gets_a_clear_answer_and_the_menu_still_answers(engine: Engine,
                                                                               settings: Settings) -> None:
    add_member(engine, "21040", 1, channel="console", name="console")
    _, off, words = console(engine, settings, "1", "/ngonngu", "7", "english")
    assert off.endswith("Vui lòng chọn một số từ 1 đến 2.")
    assert words.endswith("From now on I will write to you in English.")


def test_a_number_after_another_answer_is_not_taken_for_an_old_menu(engine: Engine, settings: Settings) -> None:
    add_member(engine, "21040", 1, channel="console", name="console")
    *_, late = console(engine, settings, "1", "/ngonngu", "/nhacnho", "2")
    assert late.endswith("Tôi chưa hiểu ý bạn. Gõ /capnhat để cập nhật tiến độ, /nhiemvu để xem nhiệm vụ, hoặc /help "
                         "để xem hướng dẫn.")


def test_a_managers_report_menus_answered_by_number_on_the_console(engine: Engine, settings: Settings) -> None:
    add_member(engine, "SKHCN", 2, role=Role.MANAGER, channel="console", name="console")
    overview, missing, tasks, drilled = console(engine, settings, "2", "/baocao", "1", "/baocao nhiemvu", "3")
    assert "\n  1. Chưa báo cáo\n  2. Theo nhiệm vụ\n  3. Excel" in overview
    assert "Còn 113 đơn vị chưa báo cáo:" in missing
    assert "\n  3. I.3 " in tasks
    assert drilled.startswith("I.3. ") and "• Sở Khoa học và Công nghệ: Chưa hoàn thành, còn trong hạn (chưa báo cáo)" in drilled


async def test_menus_answered_by_number_over_zalo(engine: Engine, settings: Settings) -> None:
    add_member(engine, "SKHCN", "zalo-manager", role=Role.MANAGER, channel="zalo")
    with FakeZalo() as fake:
        phone = Phone(fake, "zalo-manager")
        async with polling(fake, engine, settings):
            assert "1. Tiếng Việt\n2. English" in await phone.say("/ngonngu")
            assert "From now on I will write to you in English." in await phone.say("2")
            assert "1. Not reported yet\n2. By task" in await phone.say("/baocao")
            assert "113 units have not reported yet:" in await phone.say("1")
            assert "Please choose a number from 1 to 1." in await phone.say("5")  # the menu now: "Remind them now"
