"""A year's evidence as one zip file, in folders by unit and by task, for Sở KH&CN's records: every file units
sent with their updates and annual reports, superseded and returned versions included.

The zip is written straight to its file, one evidence file read from the database at a time, so a year of
hundreds of megabytes never sits in memory; two files that would share a path are told apart ("… (2).pdf").
"""

from __future__ import annotations

import zipfile
from pathlib import PurePosixPath
from typing import BinaryIO

from sqlmodel import Session, col, select

from models import AnnualReport, Assignment, EvidenceFile, ProgressUpdate, Task, Unit


def archive(session: Session, year: int, target: BinaryIO) -> int:
    """Writes the zip to `target`; returns how many files it holds. Paths: "21040 UBND xã Bình Sơn/III.1/
    u12-bien-ban.pdf"."""
    period = str(year)
    by_update = session.exec(
        select(EvidenceFile.id, EvidenceFile.filename, Unit.code, Unit.name, Task.code, ProgressUpdate.id)
        .join(ProgressUpdate, col(ProgressUpdate.id) == EvidenceFile.progress_update_id)
        .join(Assignment, col(Assignment.id) == ProgressUpdate.assignment_id)
        .join(Task, col(Task.id) == Assignment.task_id).join(Unit, col(Unit.id) == Assignment.unit_id)
        .where(ProgressUpdate.period == period)).all()
    by_report = session.exec(
        select(EvidenceFile.id, EvidenceFile.filename, Unit.code, Unit.name, AnnualReport.id)
        .join(AnnualReport, col(AnnualReport.id) == EvidenceFile.annual_report_id)
        .join(Unit, col(Unit.id) == AnnualReport.unit_id).where(AnnualReport.period == period)).all()
    entries = [(f"{unit_code} {unit_name}/{code}/u{update_id}-{name}", file_id)
               for file_id, name, unit_code, unit_name, code, update_id in by_update]
    entries += [(f"{unit_code} {unit_name}/annual/a{report_id}-{name}", file_id)
                for file_id, name, unit_code, unit_name, report_id in by_report]
    taken: set[str] = set()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive_file:
        for path, file_id in sorted(entries):
            content = session.exec(select(EvidenceFile.content).where(EvidenceFile.id == file_id)).one()
            archive_file.writestr(_unique(path.replace("\\", "_"), taken), content)
    return len(entries)


def _unique(path: str, taken: set[str]) -> str:
    """The path, or "name (2).ext", "name (3).ext" … when an earlier file already has it."""
    candidate, number = path, 1
    while candidate.lower() in taken:
        number += 1
        pure = PurePosixPath(path)
        candidate = str(pure.with_name(f"{pure.stem} ({number}){pure.suffix}"))
    taken.add(candidate.lower())
    return candidate
