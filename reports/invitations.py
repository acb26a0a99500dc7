"""The go-live kit Sở KH&CN hands out: every unit's invitation code in a workbook (unit, code, Telegram link,
expiry), and one Word letter per unit in the style of a công văn (Nghị định 30/2020's header), saying what the
bot is for and how to join on Telegram (the t.me link, and a QR code of it) and on Zalo (find the bot, type the
code), with the code in large letters. The codes exist in clear only in these two files: they are to be
handed out, then kept as carefully as passwords."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO

import qrcode
import xlsxwriter
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Mm, Pt

from locales import Lang
from reports.docx import FONT, letterhead, page, text_paragraph


@dataclass(frozen=True)
class Invitation:
    unit_code: str
    unit_name: str
    code: str  # as people type it: XXXX-XXXX-XXXX
    link: str  # the t.me deep link, or "" without a Telegram bot
    expires: date


def invitation_workbook(invitations: Sequence[Invitation], speak: Lang) -> bytes:
    out = BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(speak._("Invitations")[:31])
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    day = book.add_format({"num_format": "dd/mm/yyyy"})
    headers = [speak._("Unit code"), speak._("Unit"), speak._("Invitation code"), speak._("Telegram link"),
               speak._("Valid until")]
    sheet.write_row(0, 0, headers, bold)
    for row, item in enumerate(invitations, start=1):
        sheet.write_string(row, 0, item.unit_code)
        sheet.write_string(row, 1, item.unit_name)
        sheet.write_string(row, 2, item.code)
        sheet.write_string(row, 3, item.link)
        sheet.write_datetime(row, 4, item.expires, day)  # type: ignore[arg-type]
    for column, width in enumerate((12, 45, 18, 50, 12)):
        sheet.set_column(column, column, width)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(invitations), 1), len(headers) - 1)
    book.close()
    return out.getvalue()


def invitation_letters(invitations: Sequence[Invitation], speak: Lang, zalo_name: str = "") -> bytes:
    """One page per unit."""
    document = Document()
    page(document)
    for index, item in enumerate(invitations):
        if index:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _letter(document, item, speak, zalo_name)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _letter(document: Document, item: Invitation, speak: Lang, zalo_name: str) -> None:
    letterhead(document, speak, speak._("No.:      /SKHCN-TĐC"),
               speak._("Quảng Ngãi, day ... month ... year {year}", year=date.today().year))
    text_paragraph(document, speak._("To: {unit}", unit=item.unit_name), bold=True, center=True)
    text_paragraph(document, speak._(
        "To carry out the Provincial People's Committee's plan on standards, metrology and quality, the Department "
        "of Science and Technology uses tdc-bot, a chatbot on Telegram and Zalo that tells each unit its tasks and "
        "deadlines, reminds it before each deadline and takes its progress reports. The Department asks your unit "
        "to name an officer in charge, who joins the bot with the invitation code below."))
    code = document.add_paragraph()
    code.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = code.add_run(item.code)
    run.bold, run.font.size, run.font.name = True, Pt(28), "Courier New"
    text_paragraph(document, speak._("The code works once and is valid until {date}.", date=speak.date(item.expires)),
                   italic=True, center=True)
    if item.link:
        text_paragraph(document, speak._("On Telegram: open {link} (or scan the code below with the phone's camera) "
                                         "and press Start.", link=item.link))
        picture = document.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.add_run().add_picture(BytesIO(_qr(item.link)), width=Mm(35))
    else:
        text_paragraph(document, speak._("On Telegram: find the Department's bot and send it the code."))
    text_paragraph(document, speak._("On Zalo: find {bot}, open the chat and type the code.",
                                     bot=zalo_name or speak._("the Department's bot")))
    text_paragraph(document, speak._("Then type /nhiemvu to see the unit's tasks, and /capnhat to report progress. "
                                     "For help: the Department of Science and Technology."))
    signature = document.add_paragraph()
    signature.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    signed = signature.add_run(speak._("DEPARTMENT OF SCIENCE AND TECHNOLOGY"))
    signed.bold, signed.font.name = True, FONT


QUIET_ZONE = 4  # modules of white around the code, as the QR standard (ISO/IEC 18004) asks: 2 left some unread
MODULE = 8  # pixels a module


def _qr(link: str) -> bytes:
    out = BytesIO()
    qrcode.make(link, box_size=MODULE, border=QUIET_ZONE).save(out)
    return out.getvalue()
