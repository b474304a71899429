"""A document's wording (a Jinja2 template) laid out on ND 30's page (`layout.py`).

A template renders to lines, one paragraph each, so the wording can be reviewed as
text; a line may start with a mark that says what it is:

    @title TEXT      the document type (bold caps, centred)
    @subject TEXT    the trích yếu under it (bold, centred), @rule the short rule below
    @heading TEXT    a section heading (bold)
    @note TEXT       an italic centred line
    @table NAME      the table `NAME` of the facts
    @text KEY        the team's own words for KEY, from the --text file, or else a marked
                     blank to fill in by hand (never invented)
    @closing         Nơi nhận and the signature here (else at the end)
    @annex           a new landscape page: what follows is the annex

Every other line is a justified body paragraph. Text is NFC, as TCVN 6909 wants.
"""

from __future__ import annotations

import io
import os
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, StrictUndefined

from kiemtra.domain.formats import document_date
from kiemtra.projections.documents.layout import Page, Signature
from kiemtra.projections.documents.words import TEXT_LABELS

BLANK_LINE = "…" * 32  # 158 mm in 14 pt Times: one whole line of the 165 mm text width


def dmy(day: date | None) -> str:
    return "……/……/………" if day is None else f"{day.day:02d}/{day.month:02d}/{day.year}"


def two_digits(value: int) -> str:
    """Counts below 10 written with a leading zero, as documents do ("05 đơn vị")."""
    return f"{value:02d}"


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def bytecode_cache() -> FileSystemBytecodeCache | None:
    """Jinja2's own cache of compiled templates, in the user's cache folder: compiling a
    template (and the lexer it needs) is a tenth of a document command's time. Keyed by
    the template's source, so an edited template is compiled again; none if the folder
    cannot be made."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "kiemtra", "templates")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return None
    return FileSystemBytecodeCache(folder) if os.access(folder, os.W_OK) else None


def environment() -> Environment:
    env = Environment(  # noqa: S701  (a document's text, not HTML: python-docx escapes XML)
        loader=PackageLoader("kiemtra.projections.documents", "templates"),
        lstrip_blocks=True, undefined=StrictUndefined, autoescape=False,
        bytecode_cache=bytecode_cache())
    env.filters.update(dmy=dmy, ngay=document_date, nn=two_digits, lower_first=lower_first,
                       upper_first=upper_first)
    return env


def wording(kind: str, context: Mapping[str, Any]) -> list[str]:
    """The template's lines for these facts, NFC, blank lines dropped."""
    text = environment().get_template(f"{kind}.j2").render(**context)
    return [unicodedata.normalize("NFC", line.strip()) for line in text.splitlines()
            if line.strip()]


def render_document(kind: str, context: Mapping[str, Any], symbol: str,
                    texts: Mapping[str, Sequence[str]]) -> bytes:
    """The DOCX bytes of one document, numbered `symbol` ('05/TB-TKT' or '…/TB-TKT')."""
    context = {**context, "symbol": symbol}
    page = Page()
    page.header(context["issuer_lines"], symbol, context["date_line"])
    closed = False
    for line in wording(kind, context):
        mark, _, rest = line.partition(" ") if line.startswith("@") else ("", "", line)
        if mark == "@title":
            page.title(rest)
        elif mark == "@subject":
            page.subject(rest)
        elif mark == "@rule":
            page.rule()
        elif mark == "@heading":
            page.body(rest, bold=True)
        elif mark == "@note":
            page.centred(rest, italic=True)
        elif mark == "@table":
            widths, head, rows, numeric = context["tables"][rest]
            page.data_table(widths, head, rows, numeric)
        elif mark == "@text":
            _team_words(page, rest, texts.get(rest))
        elif mark == "@closing":
            _close(page, context)
            closed = True
        elif mark == "@annex":
            page.landscape_section()
        else:
            page.body(line)
    if not closed:
        _close(page, context)
    out = io.BytesIO()
    page.set_properties(context["properties"])
    page.save(out)
    return out.getvalue()


def _team_words(page: Page, key: str, paragraphs: Sequence[str] | None) -> None:
    if paragraphs:
        for paragraph in paragraphs:
            page.body(unicodedata.normalize("NFC", paragraph))
        return
    page.body(f"[Phần để trống, điền khi hoàn thiện văn bản: {TEXT_LABELS[key].lower()}]",
              italic=True)
    page.body(BLANK_LINE, indent=False)
    page.body(BLANK_LINE, indent=False)


def _close(page: Page, context: Mapping[str, Any]) -> None:
    signatures = [Signature(tuple(s["lines"]), s["name"], s.get("note", ""))
                  for s in context["signatures"]]
    page.closing(context["recipients"], signatures)
