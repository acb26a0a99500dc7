"""Evidence: the files a unit sends with an update or an annual report (photos, PDF, Word, Excel).

A file's type is judged from its first bytes, never from its name: an executable renamed "bao-cao.pdf" is
refused. At most 20 MB a file and 10 files a submission. A channel stores an accepted file as it arrives
(`store`); the form that takes it claims it for the member (`claim`), and saving the submission ties it to
that (`attach`); a file refused, or sent where no form asks for one, is not kept (`discard`).
"""

from __future__ import annotations

import hashlib
import io
import zipfile

from sqlalchemy import func
from sqlmodel import Session, col, select

from handlers.machinery.messages import clean_text
from handlers.machinery.access import REVIEWERS
from models import ChannelAccount, EvidenceFile, FormState, Member
from models.db import utcnow

MAX_BYTES = 20 * 1024 * 1024
MAX_FILES = 10
NAME_LENGTH = 200

PDF, JPEG, PNG, GIF, WEBP = "application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OLD_OFFICE = "application/x-ole-storage"  # .doc and .xls of Office 97-2003
EXTENSIONS = {PDF: ".pdf", JPEG: ".jpg", PNG: ".png", GIF: ".gif", WEBP: ".webp", DOCX: ".docx", XLSX: ".xlsx",
              OLD_OFFICE: ".doc"}


def judge(content: bytes) -> str | None:
    """The file's type from its content, or None when it is not one we take."""
    head = content[:16]
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLD_OFFICE
    if head.startswith(b"PK\x03\x04"):
        return _office_zip(content)
    return None


def _office_zip(content: bytes) -> str | None:
    """A .docx or .xlsx is a zip with Word's or Excel's parts; any other zip is not a document we take."""
    try:
        names = set(zipfile.ZipFile(io.BytesIO(content)).namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    return None


def expected(session: Session, channel: str, user_id: str) -> bool:
    """Whether a file from this account could be used: a member with a form open, or a reviewer (who may send
    the review workbook back at any moment); nothing a stranger, or an officer outside a report, sends is kept
    (nor even downloaded)."""
    found = session.exec(select(Member.role, FormState.id)
                         .join(ChannelAccount, col(ChannelAccount.member_id) == Member.id)
                         .outerjoin(FormState, col(FormState.member_id) == Member.id)
                         .where(ChannelAccount.channel == channel, ChannelAccount.external_id == user_id)).first()
    return found is not None and (found[1] is not None or found[0] in REVIEWERS)


def store(session: Session, content: bytes, filename: str) -> EvidenceFile | str:
    """Keeps an arriving file, or says why not ("too_big", "type")."""
    if len(content) > MAX_BYTES:
        return "too_big"
    mime = judge(content)
    if mime is None:
        return "type"
    name = safe_name(filename, mime)
    row = EvidenceFile(filename=name, mime_type=mime, size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                       content=content, received_at=utcnow())
    session.add(row)
    session.flush()
    return row


def safe_name(filename: str, mime: str) -> str:
    """The name a reviewer sees: what the sender called it, cleaned of control and direction characters and of
    any path, ending in the extension of the type its content is (a PDF named "x.bat" becomes "x.pdf")."""
    stem = clean_text(filename, NAME_LENGTH, lines=False).replace("/", "_").replace("\\", "_").strip(" .")
    extension = EXTENSIONS[mime]
    given = stem.rsplit(".", 1)[1].lower() if "." in stem else ""
    if mime == OLD_OFFICE and given in ("doc", "xls"):
        extension = "." + given
    elif mime == JPEG and given == "jpeg":
        extension = ".jpeg"
    stem = stem.rsplit(".", 1)[0].strip(" .") if given else stem
    return (stem or ("anh" if mime.startswith("image/") else "tep"))[:NAME_LENGTH - len(extension)] + extension


def claim(session: Session, file_id: int, member_id: int) -> EvidenceFile | None:
    """The file, now the member's, if it is free (not another member's, not tied to a submission)."""
    row = session.get(EvidenceFile, file_id)
    if row is None or row.progress_update_id or row.annual_report_id or row.member_id not in (None, member_id):
        return None
    row.member_id = member_id
    session.add(row)
    return row


def discard(session: Session, file_id: int) -> None:
    row = session.get(EvidenceFile, file_id)
    if row is not None and row.member_id is None and not row.progress_update_id and not row.annual_report_id:
        session.delete(row)


def attach(session: Session, file_ids: list[int], member_id: int, progress_update_id: int | None = None,
           annual_report_id: int | None = None) -> None:
    """Ties the form's files to the saved submission. A file that came with a returned version (the revision
    was filled with them) is copied, so each version keeps its own files."""
    if not file_ids:
        return  # most reports come without files: nothing to read
    for row in session.exec(select(EvidenceFile).where(col(EvidenceFile.id).in_(file_ids))):
        if row.progress_update_id or row.annual_report_id:
            row = EvidenceFile(member_id=member_id, filename=row.filename, mime_type=row.mime_type, size=row.size,
                               sha256=row.sha256, content=row.content, received_at=row.received_at)
        elif row.member_id != member_id:
            continue
        row.progress_update_id, row.annual_report_id = progress_update_id, annual_report_id
        session.add(row)


def files_of(session: Session, progress_update_id: int | None = None,
             annual_report_id: int | None = None) -> list[EvidenceFile]:
    query = select(EvidenceFile).order_by(col(EvidenceFile.id))
    if progress_update_id is not None:
        query = query.where(EvidenceFile.progress_update_id == progress_update_id)
    else:
        query = query.where(EvidenceFile.annual_report_id == annual_report_id)
    return list(session.exec(query))


def counts(session: Session, progress_update_ids: list[int]) -> dict[int, int]:
    """How many files each of these updates carries."""
    rows = session.exec(select(EvidenceFile.progress_update_id, func.count()).where(
        col(EvidenceFile.progress_update_id).in_(progress_update_ids)).group_by(EvidenceFile.progress_update_id))
    return {update_id: n for update_id, n in rows if update_id is not None}


def size_text(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"
