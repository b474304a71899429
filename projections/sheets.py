"""Tables written to files for a spreadsheet: Excel workbooks (openpyxl) and CSV.

A sheet is data: its title, its headings (already in the reader's language) and rows of
typed cells — text, whole and decimal numbers, dates, and moments as naive local times
(a spreadsheet has no time zones) — so a date is a real date and a number a number. The
command line describes its columns once (`cli.Col`) and hands the typed cells here.

A text a spreadsheet would read as a formula (`domain.text.formula_like`: `=`, `+`, `-`,
`@`, tab, CR first) is kept harmless. In a workbook the cell is stored as an explicit
string with Excel's own quote-prefix mark, what Excel itself records when a person types
'=…: it shows the text unchanged (a finding written "- Chưa niêm yết …" stays readable,
no stray apostrophe), is never evaluated, and stays text if edited. CSV has no cell
types, so there the text gets OWASP's leading single quote (`domain.text.neutralised`).

openpyxl is imported only when a workbook is written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from kiemtra.domain.formats import SHEET_FORMATS, format_date, format_moment
from kiemtra.domain.text import formula_like, neutralised

MAX_WIDTH = 60
"""The widest a column is made (in characters); longer text wraps inside its cell."""


@dataclass(frozen=True)
class Sheet:
    title: str
    headings: Sequence[str]
    rows: Sequence[Sequence[Any]]
    formats: Sequence[tuple[str, str] | None] = field(default=())
    """Per column, the number format (vi, en) of its numbers, where it is not plain."""


def workbook_bytes(sheets: Sequence[Sheet], lang: str) -> bytes:
    """An .xlsx workbook, one worksheet per sheet: bold header row, frozen, with a filter;
    columns as wide as their content up to MAX_WIDTH, longer text wrapped."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for sheet in sheets:
        _fill(book.create_sheet(_sheet_title(sheet.title)), sheet, lang)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(ws: Any, sheet: Sheet, lang: str) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    vi = lang == "vi"
    ws.append(list(sheet.headings))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [max(_longest_word(h), 6) for h in sheet.headings]
    formats = list(sheet.formats) + [None] * (len(sheet.headings) - len(sheet.formats))
    for r, values in enumerate(sheet.rows, start=2):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            _put(cell, value, formats[c - 1], vi)
            widths[c - 1] = max(widths[c - 1], _width(value, vi))
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = min(width, MAX_WIDTH) + 2
        if width > MAX_WIDTH:
            for (cell,) in ws.iter_rows(min_row=2, min_col=c, max_col=c):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    if sheet.rows:
        ws.auto_filter.ref = ws.dimensions


def _put(cell: Any, value: Any, number_format: tuple[str, str] | None, vi: bool) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment

    if isinstance(value, datetime):
        cell.value = value.replace(tzinfo=None)
        cell.number_format = SHEET_FORMATS["moment"][0 if vi else 1]
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = SHEET_FORMATS["date"][0 if vi else 1]
    elif isinstance(value, bool) or value is None:
        cell.value = value
    elif isinstance(value, int | float):
        cell.value = value
        if number_format is not None:
            cell.number_format = number_format[0 if vi else 1]
    else:
        text = ILLEGAL_CHARACTERS_RE.sub("", str(value))  # what a workbook cannot hold
        cell.value = text
        cell.data_type = "s"  # never a formula, whatever it starts with
        if formula_like(text):
            cell.quotePrefix = True
        if "\n" in text:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _width(value: Any, vi: bool) -> int:
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    if value is None:
        return 0
    return max((len(line) for line in str(value).split("\n")), default=0)


def _longest_word(text: str) -> int:
    return max((len(word) for word in text.split()), default=0)


def _sheet_title(title: str) -> str:
    """A worksheet's name: at most 31 characters, none of  \\ / ? * [ ] :"""
    for c in "\\/?*[]:":
        title = title.replace(c, "-")
    return title[:31]


def csv_bytes(sheet: Sheet, lang: str) -> bytes:
    """The sheet as CSV: UTF-8 with a byte-order mark (Excel then reads Vietnamese right),
    CRLF line ends, dates and moments as the reader writes them, text neutralised."""
    text = io.StringIO()
    out = csv.writer(text, lineterminator="\r\n")
    out.writerow([neutralised(h) for h in sheet.headings])
    for values in sheet.rows:
        out.writerow([cell_text(v, lang) for v in values])
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def cell_text(value: Any, lang: str) -> str:
    """A typed cell as CSV text: 'DD/MM/YYYY' and 'DD/MM/YYYY HH:MM:SS' in Vietnamese,
    ISO dates and 'YYYY-MM-DD HH:MM:SS' in English; numbers as written by Python."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_moment(value, lang)
    if isinstance(value, date):
        return format_date(value, lang)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return neutralised(str(value))
