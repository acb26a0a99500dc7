"""A year's evidence as one zip file, in folders by unit and by task, for Sở KH&CN's records: every file units
sent with their updates and annual reports, superseded and returned versions included."""

from __future__ import annotations

import io
import zipfile

from sqlmodel import Session, col, select

from models import AnnualReport, Assignment, EvidenceFile, ProgressUpdate, Task, Unit


def archive(session: Session, year: int) -> tuple[bytes, int]:
    """The zip, and how many files it holds. Paths: "21040 UBND xã Bình Sơn/III.1/u12-bien-ban.pdf"."""
    period = str(year)
    by_update = session.exec(
        select(EvidenceFile, Unit, Task.code, ProgressUpdate.id)
        .join(ProgressUpdate, col(ProgressUpdate.id) == EvidenceFile.progress_update_id)
        .join(Assignment, col(Assignment.id) == ProgressUpdate.assignment_id)
        .join(Task, col(Task.id) == Assignment.task_id).join(Unit, col(Unit.id) == Assignment.unit_id)
        .where(ProgressUpdate.period == period)).all()
    by_report = session.exec(
        select(EvidenceFile, Unit, AnnualReport.id)
        .join(AnnualReport, col(AnnualReport.id) == EvidenceFile.annual_report_id)
        .join(Unit, col(Unit.id) == AnnualReport.unit_id).where(AnnualReport.period == period)).all()
    entries = [(f"{unit.code} {unit.name}/{code}/u{update_id}-{row.filename}", row.content)
               for row, unit, code, update_id in by_update]
    entries += [(f"{unit.code} {unit.name}/annual/a{report_id}-{row.filename}", row.content)
                for row, unit, report_id in by_report]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive_file:
        for path, content in sorted(entries):
            archive_file.writestr(path.replace("\\", "_"), content)
    return out.getvalue(), len(entries)
