"""The admin's command line and the console chat, run as real processes on a real database."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from sqlmodel import Session, select

from models import ProgressUpdate, make_engine
from tests.databases import Databases

from tests.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def run(db_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS`, in this process (tests/cli.py)."""
    return cli(db_url, *args, stdin=stdin)


def test_a_new_database_is_created_and_seeded_by_the_first_command(databases: Databases) -> None:
    url = databases.empty()
    units = run(url, "units")
    assert units.returncode == 0, units.stderr
    assert re.search(r"^21040\s+commune\s+UBND xã Bình Sơn$", units.stdout, re.M)
    assert "113 đơn vị" in units.stdout
    again = run(url, "seed")
    assert "Không có gì thay đổi" in again.stdout


def test_tasks_print_deadlines_as_day_month_year(db_url: str) -> None:
    out = run(db_url, "tasks", "--unit", "SKHCN", "--year", "2025").stdout
    assert "Nhiệm vụ của Sở Khoa học và Công nghệ năm 2025, tính đến ngày 31/12/2025:" in out
    # Quý II 2025 ended before the plan was issued (09/2025): only the annual report is due that year.
    assert re.search(r"^I\.3\s+hạn: 19/11/2025 \(báo cáo năm\)  \[chủ trì · Chưa hoàn thành, quá hạn \(chưa báo cáo\)\]$",
                     out, re.M)
    in_june = run(db_url, "tasks", "--unit", "SKHCN", "--on", "2026-06-01").stdout
    assert re.search(r"^I\.3\s+hạn: 30/06/2026, 19/11/2026 \(báo cáo năm\)  \[chủ trì · Chưa hoàn thành, còn trong hạn",
                     in_june, re.M)
    assert re.search(r"^II\.2\s+hạn: chờ: Ngay sau khi .*\[chủ trì · Chờ sự kiện \(chưa báo cáo\)\]$", out, re.M)
    everything = run(db_url, "tasks", "--year", "2026").stdout
    assert everything.count("thời gian theo kế hoạch:") == 19  # I.1 was a one-off of Quý III/2025…
    assert "Không có hạn nào trong năm 2026: I.1" in everything  # …not a task waiting for an event
    assert re.search(r"^VI\.1\s+hạn: chờ sự kiện, 19/11/2026 \(báo cáo năm\)$", everything, re.M)


def test_every_command_has_help(db_url: str) -> None:
    listed = run(db_url, "--help").stdout
    commands = ("units", "tasks", "invite", "console", "seed", "run", "remind", "simulate", "event", "report",
                "members", "link", "db", "backup", "restore", "audit", "role", "review", "plan", "plans")
    for command in commands:
        assert f"    {command} " in listed, command
        result = run(db_url, command, "--help")
        assert result.returncode == 0 and "usage: python -m bot" in result.stdout, command
    assert "mã của một đơn vị" in run(db_url, "invite", "--help").stdout
    assert "sao lưu" in run(db_url, "db", "--help").stdout
    for action in (("review", "list"), ("review", "accept"), ("review", "return"), ("plan", "import"),
                   ("plan", "check"), ("plan", "load")):
        shown = run(db_url, *action, "--help")
        assert shown.returncode == 0 and f"usage: python -m bot {' '.join(action)}" in shown.stdout, action


def test_an_unknown_unit_is_refused_clearly(db_url: str) -> None:
    result = run(db_url, "invite", "--unit", "NOPE")
    assert result.returncode == 2 and "Không có đơn vị nào mang mã NOPE" in result.stderr


def test_invite_then_the_whole_flow_in_the_console(db_url: str) -> None:
    invitation = run(db_url, "invite", "--unit", "21040", "--role", "officer")
    code = re.search(r"^  ([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})$", invitation.stdout, re.M)
    assert code, invitation.stdout
    script = "\n".join([f"/start {code.group(1)}", "/nhiemvu", "/capnhat", "2", "2", "50%",
                        "hoan thanh buoc 1", "/boqua", "/boqua", "1"]) + "\n"
    chat = run(db_url, "console", stdin=script)
    assert chat.returncode == 0, chat.stderr
    assert re.search(r"Bạn cập nhật nhiệm vụ nào\?\n.*\n.*\n  1\. I\.\d \S+", chat.stdout)  # choices as numbered lines
    assert "Đã lưu: cập nhật u1 cho nhiệm vụ" in chat.stdout
    with Session(make_engine(db_url)) as session:
        [update] = session.exec(select(ProgressUpdate)).all()
    assert (update.status, update.percent, update.result, update.channel) == (
        "in_progress", 50, "hoan thanh buoc 1", "console")
    later = run(db_url, "console", stdin="/nhiemvu\n")  # the next day's session: its lines are new updates too
    assert "Nhiệm vụ năm" in later.stdout, later.stdout


def test_an_event_recorded_from_the_cli_gives_the_task_its_deadline(db_url: str) -> None:
    recorded = run(db_url, "event", "--task", "III.3", "--days", "30", "--date", "2026-03-02")
    assert recorded.returncode == 0, recorded.stderr
    assert "đến hạn 01/04/2026" in recorded.stdout
    assert re.search(r"^III\.3\s+hạn: 01/04/2026, 19/11/2026 \(báo cáo năm\)  \[chủ trì · Chưa hoàn thành, quá hạn",
                     run(db_url, "tasks", "--unit", "SKHCN", "--year", "2026").stdout, re.M)
    refused = run(db_url, "event", "--task", "I.1", "--days", "30")
    assert refused.returncode == 2 and "không phải là nhiệm vụ chờ sự kiện" in refused.stderr


def test_simulate_prints_each_day_and_who_would_be_reminded(db_url: str) -> None:
    from tests.conftest import add_member

    add_member(make_engine(db_url), "21040", 555, name="Lê Văn Cường")
    out = run(db_url, "simulate", "--from", "2025-09-15", "--to", "2025-09-30", "--unit", "21040").stdout
    assert "Thứ ba 16/09/2025\n  reminder UBND xã Bình Sơn → Lê Văn Cường (#1): Nhắc việc: còn 14 ngày đến hạn 30/09/2025." in out
    assert "Thứ bảy" not in out and "Chủ nhật" not in out
    unregistered = run(db_url, "simulate", "--from", "2025-09-15", "--to", "2025-09-30", "--unit", "SKHCN").stdout
    assert "  reminder Sở Khoa học và Công nghệ → chưa có ai đăng ký: Nhắc việc: hôm nay, 30/09/2025, là hạn chót." \
        in unregistered  # an admin sees every unit's calendar before anyone registers
    assert "Trong khoảng thời gian này không có tin nào" in run(
        db_url, "simulate", "--from", "2026-01-26", "--to", "2026-02-27", "--unit", "SKHCN").stdout
