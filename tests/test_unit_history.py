"""Units change while a plan runs: Tịnh Khê renamed Mỹ Khê from 1 July 2026, Trương Quang Trọng merged into it
from 1 January 2027. Sở KH&CN writes both into data/units and runs `seed`; each year then names and counts the
units as they were in it, and the files that contradict themselves are refused with the entry named."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.runtime.conversation import Conversation
from bot.settings import Settings
from models import Unit
from plans.units import DATA_DIR
from reports.summary import overview_of, summarise
from tests.cli import cli
from tests.test_year_end import Clock, member

RENAMED_AND_MERGED = """changes:
  - from: 2027-01-01
    act: Nghị quyết số 12/NQ-UBTVQH15
    merged: ["21172"]
    into: "21211"
  - from: 2026-07-01
    act: Nghị quyết số 40/NQ-HĐND
    renamed: "21211"
    was: Xã Tịnh Khê
"""


def data_with(changes: str, tmp_path: Path) -> Path:
    """A copy of data/ in which Tịnh Khê is listed as Mỹ Khê, with the given changes.yaml."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    communes = data / "units" / "communes.csv"
    communes.write_text(communes.read_text(encoding="utf-8").replace("21211,Xã Tịnh Khê,", "21211,Xã Mỹ Khê,"),
                        encoding="utf-8")
    (data / "units" / "changes.yaml").write_text(changes, encoding="utf-8")
    return data


def names(engine: Engine, year: int) -> dict[str, str]:
    with Session(engine) as session:
        return {unit.code: unit.name for unit in summarise(session, year, date(year, 12, 31)).units_expected}


def test_each_year_names_and_counts_the_units_as_they_were(engine: Engine, db_url: str, tmp_path: Path) -> None:
    done = cli(db_url, "seed", "--data", str(data_with(RENAMED_AND_MERGED, tmp_path)))
    assert done.returncode == 0, done.stderr
    assert "unit: cập nhật 2" in done.stdout
    again = cli(db_url, "seed", "--data", str(data_with(RENAMED_AND_MERGED, tmp_path / "again")))
    assert "Không có gì thay đổi" in again.stdout
    with Session(engine) as session:
        mi_khe, merged = (session.exec(select(Unit).where(Unit.code == code)).one() for code in ("21211", "21172"))
    assert (mi_khe.name, mi_khe.former_names) == ("UBND xã Mỹ Khê", [{"name": "UBND xã Tịnh Khê",
                                                                     "until": "2026-06-30"}])
    assert (merged.ended_on, merged.successor_id) == (date(2027, 1, 1), mi_khe.id)
    listed = cli(db_url, "units").stdout
    assert "UBND xã Mỹ Khê (trước đây là UBND xã Tịnh Khê, đến 30/06/2026)" in listed
    assert "UBND phường Trương Quang Trọng (sáp nhập vào 21211 từ 01/01/2027)" in listed

    assert names(engine, 2025)["21211"] == "UBND xã Tịnh Khê" and names(engine, 2026)["21211"] == "UBND xã Mỹ Khê"
    assert "21172" in names(engine, 2026) and "21172" not in names(engine, 2027)
    with Session(engine) as session:
        assert overview_of(session, 2027, date(2027, 12, 31)).units_expected == 112
        assert overview_of(session, 2026, date(2026, 12, 31)).units_expected == 113


def test_a_change_naming_an_unknown_unit_or_no_day_is_refused_with_its_entry(db_url: str, tmp_path: Path) -> None:
    unknown = cli(db_url, "seed", "--data", str(data_with(RENAMED_AND_MERGED.replace('["21172"]', '["99999"]'),
                                                          tmp_path)))
    assert unknown.returncode == 2 and "changes.yaml, change 1: unknown unit code '99999'" in unknown.stderr
    undated = cli(db_url, "seed", "--data", str(data_with(RENAMED_AND_MERGED.replace("from: 2026-07-01", "from: mai"),
                                                          tmp_path / "undated")))
    assert undated.returncode == 2 and "change 2: 'from' must be a day" in undated.stderr


def test_an_officer_of_a_merged_ward_finishes_last_year_then_is_told_whose_tasks_they_are(
        engine: Engine, settings: Settings, db_url: str, tmp_path: Path) -> None:
    clock = Clock(datetime(2026, 10, 1, 9))
    officer = member(Conversation(engine, settings, clock=clock), engine, "21172", "701")
    assert cli(db_url, "seed", "--data", str(data_with(RENAMED_AND_MERGED, tmp_path))).returncode == 0

    clock.now = datetime(2027, 1, 10, 9)  # merged since 1 January; its 2026 report is still open
    assert officer.say("/capnhat").startswith("Bạn cập nhật nhiệm vụ nào?")  # 2026's tasks: no year to choose
    officer.say("/huy")
    assert officer.say("/baocaonam").startswith("Báo cáo năm 2026 của UBND phường Trương Quang Trọng")
    officer.say("/huy")

    clock.now = datetime(2027, 6, 10, 9)  # 2026 closed: nothing of the ward's is left to report
    for command in ("/nhiemvu", "/capnhat", "/baocaonam", "/giahan"):
        assert officer.say(command) == (
            "Từ ngày 01/01/2027, UBND phường Trương Quang Trọng đã sáp nhập vào UBND xã Mỹ Khê: nhiệm vụ năm 2027 do "
            "UBND xã Mỹ Khê báo cáo. Các báo cáo của những năm trước vẫn được lưu giữ. Để báo cáo cho UBND xã Mỹ Khê, "
            "xin đề nghị Sở KH&CN cấp mã mời của đơn vị này.")


@pytest.mark.parametrize("written, said", [
    ("changes: [renamed]", "'changes' must be a list of entries"),
    ("changes:\n  - from: 2027-01-01\n    merged: '21211'\n    into: '21211'\n", "change 1: a unit cannot merge into itself"),
    ("changes: [{from: 2027-01-01, moved: '21211'}]", "change 1: say 'renamed' or 'merged'"),
    ("changes: [{from: 2027-01-01, renamed: '21211'", "not readable as YAML"),
])
def test_a_changes_file_written_wrong_is_refused_in_words(written: str, said: str, db_url: str,
                                                          tmp_path: Path) -> None:
    done = cli(db_url, "seed", "--data", str(data_with(written, tmp_path)))
    assert done.returncode == 2 and said in done.stderr and "Traceback" not in done.stderr
