"""Going live: from an empty database, one command makes a code, a workbook row and a one-page letter (with a
QR code of the Telegram link) for each of the 113 units; each code registers its unit; /baocao, the digest and
`members --missing` say how many units are on board and name the others; a member who leaves keeps their
reports and the unit's reminders go to the others."""

from __future__ import annotations

import os
import stat
import subprocess
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.runtime.conversation import Conversation
from bot.settings import Settings
from handlers.notices import digest_messages
from jobs.reminders import officers
from models import ChannelAccount, Invite, Member, ProgressUpdate, Unit
from models.db import utcnow
from models.organisation import Role
from tests.cli import cli
from tests.conftest import NOW, Chat, add_member, invite
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo
from tests.test_telegram import Officer, running_bot
from tests.test_zalo import Phone, polling

ROOT = Path(__file__).resolve().parents[1]


def run(db_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS`, in this process (tests/cli.py)."""
    return cli(db_url, *args, **env)


async def test_every_unit_invited_in_one_command_and_three_on_board(db_url: str, engine: Engine, settings: Settings,
                                                                    tmp_path: Path) -> None:
    with FakeTelegram() as telegram:
        made = run(db_url, "invite", "--all", "--output-dir", str(tmp_path),
                   TDC_TELEGRAM_TOKEN=telegram.token, TDC_TELEGRAM_API_URL=telegram.api_url)
        assert made.returncode == 0, made.stderr
        assert "Đã tạo 113 mã mời, hiệu lực 14 ngày" in made.stdout
        again = run(db_url, "invite", "--all", "--output-dir", str(tmp_path))
        assert "Không cần tạo thêm mã mời nào." in again.stdout and "113 đơn vị còn mã chưa dùng" in again.stdout

        [book_path] = tmp_path.glob("ma-moi-*.xlsx")
        [letters_path] = tmp_path.glob("thu-moi-*.docx")
        rows = list(load_workbook(book_path, read_only=True).active.iter_rows(values_only=True))
        assert rows[0] == ("Mã đơn vị", "Đơn vị", "Mã mời", "Liên kết Telegram", "Hiệu lực đến")
        codes = {row[0]: row[2] for row in rows[1:]}
        assert len(codes) == 113 and all(len(code) == 14 for code in codes.values())
        assert all(row[3].startswith("https://t.me/tdc_test_bot?start=") for row in rows[1:])
        letters = Document(str(letters_path))
        text = "\n".join(p.text for p in letters.paragraphs)
        assert text.count("Kính gửi:") == 113 and codes["21040"] in text and "Kính gửi: UBND xã Bình Sơn" in text
        assert len(letters.inline_shapes) == 113  # a QR code of each unit's Telegram link
        assert oct(book_path.stat().st_mode & 0o777) == "0o600"

        # Three units join: one on Telegram, one on Zalo, one typed in the console core.
        async with running_bot(telegram, engine, settings):
            welcome = await Officer(telegram, 9901).say(f"/start {codes['21040'].replace('-', '')}")
            assert "đăng ký thành công cho UBND xã Bình Sơn" in welcome
    with FakeZalo() as zalo:
        async with polling(zalo, engine, settings):
            assert "đăng ký thành công cho Sở Công Thương" in await Phone(zalo, "zalo-sct").say(codes["SCT"])
    conversation = Conversation(engine, settings, clock=lambda: NOW)
    assert "đăng ký thành công" in Chat(conversation, "7300", channel="telegram").say(codes["21211"])

    add_member(engine, "SKHCN", 9999, role=Role.MANAGER, channel="console", name="Quản lý")
    manager = Chat(conversation, "9999", channel="console")
    assert "Đơn vị có cán bộ đăng ký: 3/113 (/baocao chuadangky)" in manager.say("/baocao")
    nobody = manager.say("/baocao chuadangky")
    assert "110 đơn vị chưa có cán bộ đăng ký" in nobody and "• Sở Tư pháp" in nobody
    assert "UBND xã Bình Sơn" not in nobody and "Sở Công Thương" not in nobody
    missing = run(db_url, "members", "--missing")
    assert missing.stdout.startswith("Đơn vị có cán bộ đăng ký: 3/113") and "21040" not in missing.stdout
    with Session(engine) as session:
        digest = digest_messages(session, date(2025, 10, 13))
    assert not digest  # the manager is on the console: nobody to send it to
    add_member(engine, "SKHCN", 9998, role=Role.MANAGER, channel="telegram")
    with Session(engine) as session:
        [weekly] = digest_messages(session, date(2025, 10, 13))
    assert "Đơn vị có cán bộ đăng ký: 4/113" in weekly.text and "109 đơn vị chưa có cán bộ đăng ký" in weekly.text

    # Every other code registers its unit.
    for unit_code, code in codes.items():
        if unit_code not in ("21040", "SCT", "21211"):
            assert "đăng ký thành công" in Chat(conversation, f"t-{unit_code}", channel="telegram").say(code)
    with Session(engine) as session:
        assert session.exec(select(func.count(func.distinct(Member.unit_id)))
                            .join(ChannelAccount, ChannelAccount.member_id == Member.id)
                            .where(ChannelAccount.channel.in_(("telegram", "zalo")))).one() == 113


def test_a_member_who_leaves_keeps_their_reports_and_the_others_get_the_reminders(db_url: str,
                                                                                   engine: Engine) -> None:
    conversation = Conversation(engine, Settings(database_url=db_url, _env_file=None), clock=lambda: NOW)
    leaving = Chat(conversation, "8001", channel="telegram")
    staying = Chat(conversation, "8002", channel="telegram")
    for chat in (leaving, staying):
        chat.say(f"/start {invite(engine, '21040')}")
    for answer in ("/capnhat I.2", "Hoàn thành", "Đã tuyên truyền", "3", "không", "Lưu"):
        leaving.say(answer)
    with Session(engine) as session:
        member_id = session.exec(select(ChannelAccount.member_id).where(ChannelAccount.external_id == "8001")).one()
    removed = run(db_url, "members", "--remove", str(member_id))
    assert removed.returncode == 0 and "báo cáo của họ được giữ lại" in removed.stdout
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(ProgressUpdate)).one() == 1
        accounts = session.exec(select(ChannelAccount.external_id)).all()
        unit = session.exec(select(Unit).where(Unit.code == "21040")).one()
        reminded = [r.member_id for r in officers(session, {unit.id or 0}).get(unit.id or 0, [])]
    assert "8001" not in accounts and member_id not in reminded and len(reminded) == 1
    assert "chưa đăng ký" in leaving.say("/nhiemvu")  # a stranger now
    assert run(db_url, "members", "--remove", "99999").returncode == 2


def test_invitation_files_are_owner_only_from_their_first_byte(db_url: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    modes: dict[str, int] = {}
    write = Path.write_bytes

    def watched(path: Path, content: bytes) -> int:  # the file's mode at the moment the codes go into it
        modes[path.suffix] = stat.S_IMODE(path.stat().st_mode) if path.exists() else -1
        return write(path, content)

    monkeypatch.setattr(Path, "write_bytes", watched)
    old = os.umask(0o022)
    try:
        made = cli(db_url, "invite", "--kind", "departments", "--output-dir", str(tmp_path / "new"))
    finally:
        os.umask(old)
    assert made.returncode == 0, made.stderr
    assert modes == {".xlsx": 0o600, ".docx": 0o600}


def invites_valid(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Invite).where(Invite.expires_at > utcnow())).one()


def test_a_folder_that_cannot_be_written_creates_no_code_and_revokes_none(db_url: str, engine: Engine,
                                                                          tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    failed = cli(db_url, "invite", "--all", "--output-dir", str(blocked / "thu-moi"))
    assert failed.returncode == 2 and "Không tạo mã nào" in failed.stderr, failed.stderr
    assert "Traceback" not in failed.stderr and invites_valid(engine) == 0
    assert cli(db_url, "invite", "--kind", "communes", "--output-dir", str(tmp_path / "ok")).returncode == 0
    handed_out = invites_valid(engine)
    assert cli(db_url, "invite", "--all", "--reissue", "--output-dir", str(blocked / "x")).returncode == 2
    assert invites_valid(engine) == handed_out  # the letters already handed out still work
    again = cli(db_url, "invite", "--all", "--output-dir", str(tmp_path / "ok"))
    assert again.returncode == 0 and "Đã tạo 17 mã mời" in again.stdout, again.stdout


@pytest.mark.parametrize("days", ["0", "-3", "99999999", "mười"])
def test_an_invitation_lasts_from_one_to_ninety_days(db_url: str, engine: Engine, tmp_path: Path, days: str) -> None:
    refused = cli(db_url, "invite", "--all", "--days", days, "--output-dir", str(tmp_path))
    assert refused.returncode == 2 and "từ 1 đến 90" in refused.stderr, refused.stderr
    assert invites_valid(engine) == 0 and not list(tmp_path.iterdir())


def test_the_letters_qr_code_has_the_standard_quiet_zone_of_four_modules() -> None:
    from io import BytesIO

    from PIL import Image

    from reports.invitations import _qr

    image = Image.open(BytesIO(_qr("https://t.me/tdc_bot?start=ABCDEFGHJKMN"))).convert("L")
    dark = [(x, y) for y in range(image.height) for x in range(image.width) if image.getpixel((x, y)) < 128]
    assert min(x for x, _ in dark) == min(y for _, y in dark) == 4 * 8  # four modules of eight pixels, white
    assert image.width - 1 - max(x for x, _ in dark) == 4 * 8
