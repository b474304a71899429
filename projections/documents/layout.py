"""The page of every document kiemtra issues, as Nghị định 30/2020/NĐ-CP, Phụ lục I sets it.

One module holds the layout, so a văn thư's correction lands in one place; each
constant cites the part of Phụ lục I it follows ("PL I" below). The wording is not
here: it comes from the templates (`templates/*.j2`), read as lines by `render.py`.

python-docx draws it. Three things its defaults would get wrong are done by hand in
the XML: the font named for every script (Word picks the East-Asian or complex-script
name for some Vietnamese letters otherwise), the rules under the header drawn as
paragraph borders (never underscores), and widths set on both the table's grid columns
and every cell (LibreOffice reads the grid, Word the cells).
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass
from functools import cache
from typing import Any

from docx import Document as new_document
from docx.document import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

# --- the page (PL I, mục II.1 and II.2) --------------------------------------------------
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)  # khổ A4, portrait
MARGIN_TOP = Mm(20)  # lề trên 20–25 mm
MARGIN_BOTTOM = Mm(20)  # lề dưới 20–25 mm
MARGIN_LEFT = Mm(30)  # lề trái 30–35 mm
MARGIN_RIGHT = Mm(15)  # lề phải 15–20 mm
TEXT_WIDTH = Mm(165)  # 210 − 30 − 15
HEADER_DISTANCE = Mm(10)  # the page number sits in the top margin (PL I, mục II.10)

# --- the font (PL I, mục II.3): Times New Roman, Unicode TCVN 6909:2001 -----------------------
FONT = "Times New Roman"
FONT_SCRIPTS = ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs")
LANGUAGE = "vi-VN"

# --- sizes per element (PL I, mục II.3–II.12) ------------------------------------------------
SIZE_BODY_NAME = Pt(13)  # tên cơ quan chủ quản: 12–13, in hoa, đứng
SIZE_ISSUER = Pt(13)  # tên cơ quan ban hành: 12–13, in hoa, đậm
SIZE_NUMBER = Pt(13)  # số, ký hiệu: 13
SIZE_NATIONAL = Pt(12)  # Quốc hiệu: 12–13, in hoa, đậm (12 keeps it on one line: 88 mm)
SIZE_MOTTO = Pt(13)  # Tiêu ngữ: 13–14, đậm, chữ đầu các cụm từ in hoa
SIZE_DATE = Pt(14)  # địa danh và thời gian: 13–14, nghiêng
SIZE_TITLE = Pt(14)  # tên loại văn bản: 13–14, in hoa, đậm
SIZE_SUBJECT = Pt(14)  # trích yếu: 13–14, đậm
SIZE_BODY = Pt(14)  # nội dung: 13–14
SIZE_TABLE = Pt(12)  # a table in the body: smaller, as văn thư tables are
SIZE_SIGNER = Pt(14)  # quyền hạn, chức vụ người ký: 13–14, in hoa, đậm; họ tên: đậm
SIZE_RECIPIENTS_LABEL = Pt(12)  # "Nơi nhận:": 12, đậm nghiêng
SIZE_RECIPIENTS = Pt(11)  # the list: 11
SIZE_PAGE_NUMBER = Pt(13)  # số trang: 13–14

# --- the body (PL I, mục II.8) -----------------------------------------------------------
FIRST_LINE_INDENT = Cm(1.27)  # lùi đầu dòng 1–1.27 cm
PARAGRAPH_SPACING = Pt(6)  # khoảng cách giữa các đoạn tối thiểu 6 pt
LINE_SPACING = 1.15  # "từ một dòng đơn đến 1,5 dòng"

# --- the header: a borderless two-column table (PL I, mục II.4–II.6) --------------------------
HEADER_LEFT = Mm(63)  # the issuing body and the number
HEADER_RIGHT = Mm(102)  # Quốc hiệu, Tiêu ngữ, place and date
CELL_PADDING = Mm(1.9)  # python-docx's default cell margin, each side
MOTTO_WIDTH = Mm(56)  # "Độc lập - Tự do - Hạnh phúc" in 13 pt bold Times: the rule as long
ISSUER_RULE = Mm(16)  # under the issuing body: 1/3–1/2 of its line, centred
NATIONAL_MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")

# --- the signature block and "Nơi nhận" (PL I, mục II.11, II.12) ------------------------------
RECIPIENTS_WIDTH = Mm(72)
SIGNATURE_WIDTH = Mm(93)
SIGNATURE_ROOM = 4  # empty lines for the signature and the seal
BLANK_NAME = "…" * 9  # where a name not in the plan is written by hand: 44 mm in 14 pt


def pad(width: Length) -> Length:
    """A cell's text width: the cell less its padding on both sides."""
    return Length(width - 2 * CELL_PADDING)


@dataclass(frozen=True)
class Signature:
    """One signature column: its lines in bold caps, the name under room to sign."""

    lines: tuple[str, ...]  # "TM. TỔ KIỂM TRA", "TỔ TRƯỞNG"
    name: str  # the full name, or "" for a dotted place to write it
    note: str = ""  # an italic line under the title ("(Ký, ghi rõ họ tên)")


class Page:
    """One document being laid out: the builder the renderer calls, element by element."""

    def __init__(self) -> None:
        self.doc: Document = new_document()
        self._page()
        self._styles()

    # --- page, styles, fonts ------------------------------------------------------------------

    def _page(self) -> None:
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
        section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
        section.header_distance = HEADER_DISTANCE
        section.different_first_page_header_footer = True  # no number on page 1
        number = section.header.paragraphs[0]
        number.alignment = WD_ALIGN_PARAGRAPH.CENTER
        page_field(number, SIZE_PAGE_NUMBER)

    def _styles(self) -> None:
        for name in ("Normal", "Header", "Footer", "Table Grid"):
            style: Any = self.doc.styles[name]
            style.font.name = FONT
            style.font.size = SIZE_BODY
            name_fonts(style.element.get_or_add_rPr())
            lang = OxmlElement("w:lang")
            lang.set(qn("w:val"), LANGUAGE)
            style.element.get_or_add_rPr().append(lang)
        normal: Any = self.doc.styles["Normal"]
        normal.paragraph_format.space_after = Pt(0)
        normal.paragraph_format.space_before = Pt(0)

    # --- elements -----------------------------------------------------------------------------

    def header(self, issuer_lines: Sequence[tuple[str, bool]], number: str, date_line: str
               ) -> None:
        """The first lines of page 1: (line, bold) of the issuing body with a short rule under
        the last, "Số: …"; and the Quốc hiệu, the Tiêu ngữ with its rule, the date line."""
        table = self.grid((HEADER_LEFT, HEADER_RIGHT), rows=1)
        left, right = table.rows[0].cells
        first = left.paragraphs[0]
        for i, (line, bold) in enumerate(issuer_lines):
            p = first if i == 0 else left.add_paragraph()
            size = SIZE_ISSUER if bold else SIZE_BODY_NAME
            self.line(p, line, size=size, bold=bold, align=WD_ALIGN_PARAGRAPH.CENTER)
        rule_under(left.add_paragraph(), pad(HEADER_LEFT), ISSUER_RULE)
        p = left.add_paragraph()
        p.paragraph_format.space_before = Pt(6)
        self.line(p, f"Số: {number}", size=SIZE_NUMBER, align=WD_ALIGN_PARAGRAPH.CENTER)
        national, motto = NATIONAL_MOTTO
        self.line(right.paragraphs[0], national, size=SIZE_NATIONAL, bold=True,
                  align=WD_ALIGN_PARAGRAPH.CENTER)
        p = right.add_paragraph()
        self.line(p, motto, size=SIZE_MOTTO, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        rule_under(right.add_paragraph(), pad(HEADER_RIGHT), MOTTO_WIDTH)
        p = right.add_paragraph()
        p.paragraph_format.space_before = Pt(6)
        self.line(p, date_line, size=SIZE_DATE, italic=True, align=WD_ALIGN_PARAGRAPH.CENTER)

    def title(self, text: str) -> None:
        p = self.doc.add_paragraph()
        p.paragraph_format.space_before = Pt(18)
        p.paragraph_format.keep_with_next = True
        self.line(p, text.upper(), size=SIZE_TITLE, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)

    def subject(self, text: str) -> None:
        p = self.doc.add_paragraph()
        p.paragraph_format.keep_with_next = True
        self.line(p, text, size=SIZE_SUBJECT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)

    def rule(self) -> None:
        """The short rule under the subject (PL I, mục II.7)."""
        p = self.doc.add_paragraph()
        p.paragraph_format.keep_with_next = True
        rule_under(p, TEXT_WIDTH, Length(ISSUER_RULE * 2))
        p.paragraph_format.space_after = Pt(12)

    def centred(self, text: str, *, bold: bool = False, italic: bool = False) -> None:
        p = self.doc.add_paragraph()
        p.paragraph_format.space_after = PARAGRAPH_SPACING
        self.line(p, text, size=SIZE_BODY, bold=bold, italic=italic,
                  align=WD_ALIGN_PARAGRAPH.CENTER)

    def body(self, text: str, *, bold: bool = False, italic: bool = False,
             keep_with_next: bool = False, indent: bool = True) -> Paragraph:
        p = self.doc.add_paragraph()
        fmt = p.paragraph_format
        fmt.first_line_indent = FIRST_LINE_INDENT if indent else Length(0)
        fmt.space_after = PARAGRAPH_SPACING
        fmt.line_spacing = LINE_SPACING
        fmt.keep_with_next = keep_with_next or bold
        fmt.widow_control = True
        self.line(p, text, size=SIZE_BODY, bold=bold, italic=italic,
                  align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        return p

    def data_table(self, widths: Sequence[Length], head: Sequence[str],
                   rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()) -> None:
        """A bordered table in the body: a bold header row repeated on every page."""
        table = self.grid(widths, rows=1 + len(rows), style="Table Grid")
        for r, (row, texts) in enumerate(zip(table.rows, [head, *rows], strict=True)):
            no_split(row)
            if r == 0:
                repeat_header(row)
            cells = [_Cell(tc, table) for tc in row._tr.tc_lst]  # no spans in these tables
            for c, (cell, text) in enumerate(zip(cells, texts, strict=True)):
                align = (WD_ALIGN_PARAGRAPH.CENTER if r == 0 or c == 0 else
                         WD_ALIGN_PARAGRAPH.RIGHT if c in numeric else WD_ALIGN_PARAGRAPH.LEFT)
                self.cell_lines(cell, str(text).split("\n"), size=SIZE_TABLE, bold=r == 0,
                                align=align)
        self.doc.add_paragraph().paragraph_format.space_after = Pt(0)

    def closing(self, recipients: Sequence[str], signatures: Sequence[Signature]) -> None:
        """Nơi nhận on the left and the signature on the right, in one row that never
        splits across pages (PL I, mục II.11–II.12); with two signatures (the minutes), one
        column each and no Nơi nhận."""
        if recipients:
            widths: tuple[Length, ...] = (RECIPIENTS_WIDTH, SIGNATURE_WIDTH)
        else:
            half = Length(TEXT_WIDTH // max(1, len(signatures)))
            widths = tuple(half for _ in signatures)
        table = self.grid(widths, rows=1)
        row = table.rows[0]
        no_split(row)
        cells = list(row.cells)
        if recipients:
            self._recipients(cells.pop(0), recipients)
        depth = max(len(s.lines) for s in signatures)  # names side by side on one line
        for cell, signature in zip(cells, signatures, strict=True):
            self._signature(cell, signature, depth)

    def _recipients(self, cell: _Cell, recipients: Sequence[str]) -> None:
        p = cell.paragraphs[0]
        self.line(p, "Nơi nhận:", size=SIZE_RECIPIENTS_LABEL, bold=True, italic=True)
        for item in recipients:
            self.line(cell.add_paragraph(), item, size=SIZE_RECIPIENTS)

    def _signature(self, cell: _Cell, signature: Signature, depth: int) -> None:
        centre = WD_ALIGN_PARAGRAPH.CENTER
        p = cell.paragraphs[0]
        for i, line in enumerate(signature.lines):
            self.line(p if i == 0 else cell.add_paragraph(), line, size=SIZE_SIGNER, bold=True,
                      align=centre)
        for _ in range(depth - len(signature.lines)):
            cell.add_paragraph()
        if signature.note:
            self.line(cell.add_paragraph(), signature.note, size=SIZE_TABLE, italic=True,
                      align=centre)
        for _ in range(SIGNATURE_ROOM):
            cell.add_paragraph()
        self.line(cell.add_paragraph(), signature.name or BLANK_NAME, size=SIZE_SIGNER,
                  bold=bool(signature.name), align=centre)

    def landscape_section(self) -> None:
        """A new page turned sideways for a wide annex table, numbered on like the rest
        (ND 30 lets an annex table be laid out landscape)."""
        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = PAGE_HEIGHT, PAGE_WIDTH
        section.different_first_page_header_footer = False

    # --- helpers ------------------------------------------------------------------------------

    def grid(self, widths: Sequence[Length], rows: int, style: str | None = None) -> Table:
        """A table whose widths hold in Word and LibreOffice: fixed layout, the width on
        the grid's columns and on every cell."""
        table: Table = self.doc.add_table(rows=rows, cols=len(widths))
        if style:
            table.style = self.doc.styles[style]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        fixed = OxmlElement("w:tblLayout")
        fixed.set(qn("w:type"), "fixed")
        table._tbl.tblPr.append(fixed)
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width
        for tr in table._tbl.tr_lst:  # the XML rows: `row.cells` would work out spans
            for tc, width in zip(tr.tc_lst, widths, strict=True):
                tc.width = width
        return table

    def cell_lines(self, cell: _Cell, lines: Sequence[str], **style: Any) -> None:
        for i, text in enumerate(lines):
            self.line(cell.paragraphs[0] if i == 0 else cell.add_paragraph(), text, **style)

    @staticmethod
    def line(p: Paragraph, text: str, *, size: Length, bold: bool = False,
             italic: bool = False, align: Any = None) -> None:
        """One run of text in `p`, its font named for every script. Its properties are a
        copy of a prepared `<w:rPr>` (`run_properties`): setting them one by one through
        python-docx is most of the time a forty-unit report takes."""
        if align is not None:
            if p._p.pPr is None:  # a new paragraph: a prepared `<w:pPr>` too
                p._p.insert(0, deepcopy(paragraph_properties(int(align))))
            else:
                p.alignment = align
        run = OxmlElement("w:r")
        run.append(deepcopy(run_properties(int(size), bold, italic)))
        shown = OxmlElement("w:t")
        shown.set(qn("xml:space"), "preserve")
        shown.text = text  # one line: no tab or line break to translate
        run.append(shown)
        p._p.append(run)

    def set_properties(self, properties: dict[str, Any]) -> None:
        """The file's own properties (title, author, dates): what a file manager shows."""
        core = self.doc.core_properties
        for key, value in properties.items():
            setattr(core, key, value)
        core.language = LANGUAGE
        core.revision = 1

    def save(self, path: Any) -> None:
        self.doc.save(path)


# --- XML the library has no API for ---------------------------------------------------------


@cache
def paragraph_properties(align: int) -> Any:
    """`<w:pPr>` with only the alignment (`WD_ALIGN_PARAGRAPH` value)."""
    ppr = OxmlElement("w:pPr")
    jc = OxmlElement("w:jc")
    jc.set(qn("w:val"), {0: "left", 1: "center", 2: "right", 3: "both"}[align])
    ppr.append(jc)
    return ppr


@cache
def run_properties(size: int, bold: bool, italic: bool) -> Any:
    """`<w:rPr>`: Times New Roman for all four scripts, bold and italic when on (off is
    the default), the size for Latin and complex scripts; children in the schema's order."""
    rpr = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    for script in FONT_SCRIPTS:
        fonts.set(qn(script), FONT)
    rpr.append(fonts)
    for on, tag in ((bold, "w:b"), (italic, "w:i")):
        if on:
            rpr.append(OxmlElement(tag))
    half_points = str(round(Length(size).pt * 2))
    for tag in ("w:sz", "w:szCs"):
        element = OxmlElement(tag)
        element.set(qn("w:val"), half_points)
        rpr.append(element)
    return rpr


def name_fonts(rpr: Any) -> None:
    """Name the font for ascii, hAnsi, eastAsia and cs, and drop any theme font."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for script in FONT_SCRIPTS:
        fonts.set(qn(script), FONT)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)


def rule_under(p: Paragraph, available: Length, length: Length) -> None:
    """Make the empty paragraph `p` a solid rule `length` long, centred, just under the line
    above: its bottom border, with indents that narrow it to the rule and a line 2 pt high
    (PL I: "đường kẻ ngang, nét liền" — a border, never underscores)."""
    side = Length(max(0, (available - length) // 2))
    fmt = p.paragraph_format
    fmt.left_indent = side
    fmt.right_indent = side
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(2)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"),
                       ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    p._p.get_or_add_pPr().append(borders)


def page_field(p: Paragraph, size: Length) -> None:
    """A PAGE field: the number of the page it is printed on."""
    run = p.add_run()
    run.font.size = size
    run.font.name = FONT
    name_fonts(run._r.get_or_add_rPr())
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "2"),
                       ("end", None)):
        if kind is not None:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == "PAGE":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = " PAGE "
            run._r.append(instr)
        else:
            shown = OxmlElement("w:t")
            shown.text = text
            run._r.append(shown)


def no_split(row: Any) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def repeat_header(row: Any) -> None:
    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
