"""An official letter as DOCX (python-docx) and PDF (WeasyPrint), in the layout of Decree 30/2020/NĐ-CP.

Both are made from the same stored content. The PDF embeds Liberation Serif, the free face with the
metrics of Times New Roman and every Vietnamese letter (Debian's fonts-liberation2); the DOCX names
Times New Roman, as the decree asks, which Word and LibreOffice show with the same metrics.
"""

from __future__ import annotations

import io
from importlib import resources

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from jinja2 import Environment

from mangxanh.domains.actions.letters import LetterContent

FONT = "Times New Roman"
COLUMNS = ("STT", "Đường dẫn", "Tài khoản, trang", "Thời điểm đăng", "Thời điểm ghi nhận", "Nội dung vi phạm")
_templates = Environment(autoescape=True)


def render_pdf(content: LetterContent) -> bytes:
    from weasyprint import HTML  # loads Pango; only where a letter is made

    source = resources.files("mangxanh.domains.actions").joinpath("templates/letter.html").read_text("utf-8")
    html = _templates.from_string(source).render(c=content)
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def _run(paragraph: Paragraph, text: str, *, size: float = 13, bold: bool = False, italic: bool = False) -> None:
    run = paragraph.add_run(text)
    run.font.name, run.font.size, run.font.bold, run.font.italic = FONT, Pt(size), bold, italic


def _line(cell: _Cell | None, document: DocxDocument, text: str, *, size: float = 13, bold: bool = False,
          italic: bool = False, align: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER, first: bool = False
          ) -> Paragraph:
    paragraph: Paragraph
    if cell is not None:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
    else:
        paragraph = document.add_paragraph()
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    _run(paragraph, text, size=size, bold=bold, italic=italic)
    return paragraph


def _rule(paragraph: Paragraph) -> None:
    """A solid line under the paragraph (the rules under the issuer's name and the motto)."""
    properties = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for name, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(name), value)
    border.append(bottom)
    properties.append(border)


def _body(document: DocxDocument, text: str, *, italic: bool = False) -> None:
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    paragraph.paragraph_format.first_line_indent = Cm(1.27)
    paragraph.paragraph_format.space_after = Pt(6)
    _run(paragraph, text, italic=italic)


def _page_numbers_from_page_two(document: DocxDocument) -> None:
    section = document.sections[0]
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    paragraph._p.append(field)


def render_docx(content: LetterContent) -> bytes:
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    style = document.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(13)
    _page_numbers_from_page_two(document)

    head = document.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = head.rows[0].cells
    left.width, right.width = Cm(7), Cm(9.5)
    _line(left, document, content.parent_body.upper(), size=12.5, first=True)
    _rule(_line(left, document, content.issuing_body.upper(), size=12.5, bold=True))
    _line(left, document, content.number)
    _line(left, document, content.subject, size=12.5)
    _line(right, document, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12.5, bold=True, first=True)
    _rule(_line(right, document, "Độc lập - Tự do - Hạnh phúc", bold=True))
    _line(right, document, content.place_date, italic=True)

    to = _line(None, document, f"Kính gửi: {content.recipient}.", size=14)
    to.paragraph_format.space_before, to.paragraph_format.space_after = Pt(12), Pt(10)
    for line in content.bases:
        _body(document, line, italic=True)
    _body(document, content.intro)
    items = document.add_table(rows=1, cols=len(COLUMNS))
    items.style = "Table Grid"
    for cell, title in zip(items.rows[0].cells, COLUMNS, strict=True):
        _line(cell, document, title, size=11, bold=True, first=True)
    for number, row in enumerate(content.rows, start=1):
        values = (str(number), row.url, row.account, row.posted, row.captured, row.violation)
        for cell, value in zip(items.add_row().cells, values, strict=True):
            _line(cell, document, value, size=11, align=WD_ALIGN_PARAGRAPH.LEFT, first=True)
    for text in (content.request, content.report_back, content.contact):
        if text:
            _body(document, text)

    tail = document.add_table(rows=1, cols=2)
    copies, sign = tail.rows[0].cells
    _line(copies, document, "Nơi nhận:", size=12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT,
          first=True)
    for line in content.copies:
        _line(copies, document, f"- {line}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    for index, line in enumerate(content.signer_title):
        _line(sign, document, line.upper(), bold=True, first=index == 0)
    signer = _line(sign, document, content.signer_name or " ", bold=True)
    signer.paragraph_format.space_before = Pt(64)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
