"""The plan's appendix as data: all 20 tasks, with the seed's own wording, units and schedules."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot.cli.seed import DATA_DIR, seed
from jobs.text import fold
from models import Assignment, Task, Unit

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "ke-hoach-1703-quang-ngai.txt"
PLAN = yaml.safe_load((DATA_DIR / "plans" / "ke-hoach-1703-quang-ngai.yaml").read_text(encoding="utf-8"))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def seed_text() -> str:
    if SEED.exists():
        return SEED.read_text(encoding="utf-8")
    import pytest

    pytest.skip("../shared/seed is not beside this checkout")


def test_the_appendix_has_twenty_tasks_in_six_sections() -> None:
    codes = [f"{t['section']}.{t['number']}" for t in PLAN["tasks"]]
    assert len(codes) == len(set(codes)) == 20
    per_section = {s: sum(1 for t in PLAN["tasks"] if t["section"] == s) for s in ("I", "II", "III", "IV", "V", "VI")}
    assert per_section == {"I": 4, "II": 5, "III": 4, "IV": 2, "V": 3, "VI": 2}


# Cells that a PDF page break cut in two, with the words where the second half starts.
CROSSING = {("II", 3, "content"): "sản phẩm, hàng hóa giai đoạn", ("V", 1, "lead"): "trường tỉnh",
            ("V", 1, "schedule"): "tra theo kế hoạch"}


def test_every_cell_is_the_seed_wording_including_cells_across_page_breaks() -> None:
    text = squeeze(seed_text())
    for task in PLAN["tasks"]:
        for field in ("content", "lead", "cooperating", "schedule"):
            cell, where = task[field], f"{task['section']}.{task['number']} {field}"
            second = CROSSING.get((task["section"], task["number"], field))
            if second is None:
                assert squeeze(cell) in text, where
                continue
            head, tail = cell.split(second)
            assert squeeze(head) in text and squeeze(second + tail) in text, where
            assert squeeze(cell) not in text, f"{where} is listed as crossing a page break but does not"


def test_task_ii3_content_runs_across_the_page_break() -> None:
    text = seed_text()
    task = next(t for t in PLAN["tasks"] if (t["section"], t["number"]) == ("II", 3))
    before, after = "nâng cao năng suất và chất lượng", "sản phẩm, hàng hóa giai đoạn 2021 – 2030"
    assert before + " " + after in task["content"]
    # In the seed the two halves are separated by the other cells of the row and the page break.
    assert squeeze(before) in squeeze(text) and squeeze(after) in squeeze(text)
    assert squeeze(before + after) not in squeeze(text)
    assert task["schedule"].startswith("Quý III năm 2025 ban hành kế hoạch.")


def test_task_v1_lead_and_cooperating_cells_are_untangled_across_the_page_break() -> None:
    text = squeeze(seed_text())
    task = next(t for t in PLAN["tasks"] if (t["section"], t["number"]) == ("V", 1))
    assert task["lead_units"] == ["SKHCN", "TTT", "SCT", "BCD389", "CCQLTT"]
    assert task["cooperating"] == "UBND các xã, phường, đặc khu"
    assert squeeze("Chi Cục Quản lý thị") in text and squeeze("trường tỉnh") in text
    assert task["schedule"] == "Ban hành kế hoạch trong quý I hàng năm; Tổ chức kiểm tra theo kế hoạch và đột xuất."


def test_each_named_unit_is_in_the_cell_as_written(engine: Engine) -> None:
    groups = yaml.safe_load((DATA_DIR / "units" / "groups.yaml").read_text(encoding="utf-8"))["groups"]
    with Session(engine) as session:
        names = {u.code: u.name for u in session.exec(select(Unit))}
    phrases = {"so-ban-nganh": ["cac so, ban, nganh", "cac so, nganh"], "xa-phuong-dac-khu": ["ubnd cac xa"],
               "bao-chi": ["cac co quan bao chi"]}
    assert set(phrases) == set(groups)
    for task in PLAN["tasks"]:
        for cell, refs in ((task["lead"], task["lead_units"]), (task["cooperating"], task["cooperating_units"])):
            for ref in refs:
                expected = phrases[ref[6:]] if ref.startswith("group:") else [names[ref]]
                assert any(fold(p) in fold(cell) for p in expected), (task["section"], task["number"], ref)


def test_groups_expand_to_every_department_and_every_commune_level_unit(engine: Engine) -> None:
    with Session(engine) as session:
        task = session.exec(select(Task).where(Task.code == "I.1")).one()
        leads = session.exec(select(Unit.kind, func.count()).join(Assignment, col(Assignment.unit_id) == Unit.id)
                             .where(Assignment.task_id == task.id, Assignment.role == "lead")
                             .group_by(col(Unit.kind))).all()
    assert dict(leads) == {"department": 13, "agency": 1, "commune": 86, "ward": 9, "special_zone": 1}


def test_task_iii1_has_its_figures_and_both_targets(engine: Engine) -> None:
    with Session(engine) as session:
        task = session.exec(select(Task).where(Task.code == "III.1")).one()
        roles = dict(session.exec(select(Unit.code, Assignment.role).join(Assignment, col(Assignment.unit_id) == Unit.id)
                                  .where(Assignment.task_id == task.id)).all())
    assert {f["key"]: f["target"] for f in task.figures} == {"trained_share_province": 100, "trained_share_commune": 95}
    assert roles["SKHCN"] == "lead" and roles["21040"] == "cooperating" and roles["STC"] == "cooperating"


def test_relevant_bodies_name_nobody(engine: Engine) -> None:
    with Session(engine) as session:
        task = session.exec(select(Task).where(Task.code == "I.4")).one()
        assigned = session.exec(select(Assignment).where(Assignment.task_id == task.id)).all()
    assert [a.role for a in assigned] == ["lead"]


def test_seeding_twice_changes_nothing(engine: Engine) -> None:
    with Session(engine) as session:
        report = seed(session)
        session.commit()
        count = session.exec(select(func.count()).select_from(Assignment)).one()
    assert not report.changed
    assert count == 1640
